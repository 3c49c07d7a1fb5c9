"""Runnable examples. The docs include them, mypy checks them and the tests run them."""
