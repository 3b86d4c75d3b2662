"""Point-in-time training sets from a pipeline's log (`streamops dataset build`).

`build_dataset` reads ``{p}.features`` and ``{p}.labels.valid`` to fixed end offsets and
labels every features record as the labels were known at a cut-off in event time
(`streamops.dataset.join` states the rules); `write_parquet` writes the rows with their
identity (offsets read, schema ids, counts, content hash), which `read_identity` reads
back so that a dataset can be rebuilt exactly.
"""

from streamops.dataset.build import Dataset, build_dataset
from streamops.dataset.errors import DatasetError
from streamops.dataset.identity import DatasetIdentity
from streamops.dataset.marks import Marks
from streamops.dataset.parquet import read_identity, write_parquet

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetIdentity",
    "Marks",
    "build_dataset",
    "read_identity",
    "write_parquet",
]
