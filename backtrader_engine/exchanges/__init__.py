"""Exchange adapters: venue facts, history download and local replay servers."""
