"""The Classroom page: the chain month by month in plain words, and what attention and training cost look like on the
real small Transformer."""
