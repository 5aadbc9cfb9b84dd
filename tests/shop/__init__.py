"""The library tests' own shop: products with a stock, orders that move it, profiles, posts.

Small on purpose: only the fields, constraints and settings the tests of the stock, profile
and muting features rely on. The demo shop (``example_project``) has its own tests.
"""
