"""Department resource pools: the data behind approved catalog entries, loaded, validated and kept."""
