# (filled in by the part's owner)
