"""One module per section of the panel; each lays out what the model layer returns."""
