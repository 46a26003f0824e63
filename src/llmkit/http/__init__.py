"""See the modules of this package; public names are re-exported by `llmkit`."""
