"""``python -m marketplace_spiders.marketplaces``: print the README's marketplace table from the registry."""

from marketplace_spiders.marketplaces import markdown_table

if __name__ == "__main__":
    print(markdown_table())
