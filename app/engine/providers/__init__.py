"""Model providers; only a provider module knows its wire format."""
