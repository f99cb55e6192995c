"""The items of an inventory; prices are whole cents."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str
    price_cents: int
    quantity: int

    @property
    def value_cents(self) -> int:
        return self.price_cents * self.quantity
