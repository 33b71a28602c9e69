"""nceflow storefront: the customer's web pages, from sign-in to the placed order."""
