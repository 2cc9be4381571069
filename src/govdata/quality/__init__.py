"""Data subjects' objections, verification requests and reconciliation of inconsistent data (QUAL-*)."""
