"""The storefront's pages, one module per part of the walk-through."""
