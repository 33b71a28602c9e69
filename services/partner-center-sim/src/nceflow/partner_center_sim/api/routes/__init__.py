"""HTTP routes of the simulator, one module per Partner Center resource plus `/_sim/`."""
