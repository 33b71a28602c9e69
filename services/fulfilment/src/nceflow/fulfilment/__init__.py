"""nceflow fulfilment service: places confirmed orders in Partner Center."""
