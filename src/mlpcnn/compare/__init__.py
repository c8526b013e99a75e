"""``mlpcnn diff``: two revisions of the study compared seed by seed (see ``cli``)."""
