"""Reports of an inventory, as lines of text."""


def price_list(items):
    """One line per item: its name and unit price."""
    lines = []
    for item in items:
        dollars, cents = divmod(item.price_cents, 100)
        price = "$" + f"{dollars:,}" + "." + f"{cents:02d}"
        lines.append(f"{item.name}: {price}")
    return lines


def stock_value(items):
    """The total value of the stock, as one line."""
    total = sum(item.value_cents for item in items)
    dollars, cents = divmod(total, 100)
    price = "$" + f"{dollars:,}" + "." + f"{cents:02d}"
    return f"stock value: {price}"
