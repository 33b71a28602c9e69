"""nceflow catalog service: the Microsoft NCE catalogue over HTTP."""
