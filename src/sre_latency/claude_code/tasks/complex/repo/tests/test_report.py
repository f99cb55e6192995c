import unittest

from inventory.models import Item
from inventory.report import price_list, stock_value

ITEMS = [Item("bolt", 25, 400), Item("drill", 123450, 2)]


class ReportTest(unittest.TestCase):
    def test_price_list_shows_each_unit_price(self):
        self.assertEqual(price_list(ITEMS), ["bolt: $0.25", "drill: $1,234.50"])

    def test_stock_value_sums_price_times_quantity(self):
        self.assertEqual(stock_value(ITEMS), "stock value: $2,569.00")


if __name__ == "__main__":
    unittest.main()
