import unittest

from wordcount import word_count


class WordCountTest(unittest.TestCase):
    def test_counts_words_separated_by_any_whitespace(self):
        self.assertEqual(word_count("one two\tthree\nfour"), 4)

    def test_an_empty_or_blank_text_has_no_words(self):
        self.assertEqual(word_count(""), 0)
        self.assertEqual(word_count("  \n "), 0)


if __name__ == "__main__":
    unittest.main()
