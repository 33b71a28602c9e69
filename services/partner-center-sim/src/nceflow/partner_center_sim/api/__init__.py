"""Partner Center's and Entra ID's wire: routes, rendering, errors, headers, auth, faults."""
