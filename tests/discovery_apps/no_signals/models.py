"""An app with a models module but no signals module: autodiscovery skips it."""
