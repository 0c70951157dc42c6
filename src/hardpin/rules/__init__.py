"""Rules, one module per family; the registry (hardpin.registry) lists them."""
