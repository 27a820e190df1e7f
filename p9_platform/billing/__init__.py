"""Bill engine: prices settled half-hour reads into exact bill lines, bills and exceptions."""
