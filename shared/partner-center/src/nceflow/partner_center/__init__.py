"""Typed async client for the Microsoft Partner Center REST API subset nceflow uses."""
