"""The Store contract: ONE suite that every implementation passes (as zarr-python ships its store tests).

`test_store_contract.py` imports everything from here; the `store` fixture is parametrised over
`MemoryStore` and `SqliteStore` (with each blob tier). A new implementation is added to
`STORE_KINDS` and must pass.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from store_helpers import apply_node, const_node, same_value

from voxcas.errors import AmbiguousPrefixError, EncodingError, ObjectNotFoundError, UsageError
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.identity import definition_to_json
from voxcas.store.base import PendingResult, Store, StoredSequence
from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image

STORE_KINDS = ("memory", "sqlite", "sqlite-blob-directory", "sqlite-blob-url")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store
    if request.param == "memory":
        s = MemoryStore()
    elif request.param == "sqlite":
        s = SqliteStore(tmp_path / ".vox", create=True)
    elif request.param == "sqlite-blob-directory":
        s = SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs")
    else:  # fsspec's in-memory file system: the URL tier (voxcas.store.blobs_url)
        s = SqliteStore(tmp_path / ".vox", create=True, blobs=f"memory://vox-{uuid.uuid4().hex}/blobs")
    yield s
    s.close()


SAMPLES = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    -0.0,
    float("inf"),
    "",
    "naïve ✓",
    b"\x00\xff",
    [1, "a", [2.0, None]],
    {"b": 1, "a": [True]},
    np.arange(12, dtype=np.int16).reshape(3, 4),
    np.array(2.5),
    np.zeros((0, 5), dtype=np.float32),
    Image.from_array(np.ones((2, 3, 4), dtype=np.uint8), spacing=(0.5, 1.0, 2.0), origin=(1.0, 2.0, 3.0)),
]


# -- objects --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", SAMPLES, ids=[f"sample{i}" for i in range(len(SAMPLES))])
def test_a_put_value_comes_back_equal(store: Store, value: object) -> None:
    digest = store.put(value)
    assert same_value(store.get(digest), value)


def test_the_digest_is_the_sha256_of_the_uncompressed_encoding(store: Store) -> None:
    digest = store.put(np.arange(100_000, dtype=np.int64))  # compressible: stored zstd-compressed
    encoding = store.get_encoded(digest)
    assert digest == "sha256:" + hashlib.sha256(encoding).hexdigest()


def test_a_large_incompressible_object_comes_back_equal_and_verified(store: Store) -> None:
    payload = np.random.default_rng(7).bytes(3 << 20)  # above the blob threshold, stored raw
    digest = store.put(payload)
    assert store.get(digest) == payload
    assert store.get_many([digest, digest]) == [payload, payload]
    assert digest == "sha256:" + hashlib.sha256(store.get_encoded(digest)).hexdigest()


def test_the_encoding_of_a_scalar_is_pinned(store: Store) -> None:
    expected = b"vox1 scalar    \n" + b'["int","1"]'
    assert store.put(1) == "sha256:" + hashlib.sha256(expected).hexdigest()
    assert store.get_encoded(store.put(1)) == expected


def test_putting_a_value_twice_is_a_no_op(store: Store) -> None:
    first = store.put([1, 2, 3])
    count = len(list(store.objects()))
    assert store.put([1, 2, 3]) == first
    assert len(list(store.objects())) == count == 4  # the list and its three items


def test_equal_values_of_different_types_are_different_objects(store: Store) -> None:
    digests = {store.put(1), store.put(1.0), store.put("1"), store.put(True), store.put(b"1")}
    assert len(digests) == 5


def test_has_and_missing_tell_which_objects_exist(store: Store) -> None:
    here = store.put("here")
    absent = Digest("sha256:" + "0" * 64)
    assert store.has(here) and not store.has(absent)
    assert store.missing([here, absent]) == {absent}


def test_getting_an_unknown_object_names_it(store: Store) -> None:
    absent = Digest("sha256:" + "ab" * 32)
    with pytest.raises(ObjectNotFoundError) as exc:
        store.get(absent)
    assert str(exc.value) == f"no object {absent} in the store"


def test_a_sequence_is_stored_as_item_digests_and_loaded_lazily(store: Store) -> None:
    digest = store.put(["x", ["y"]])
    seq = store.get(digest)
    assert isinstance(seq, StoredSequence)
    assert seq.digests == (store.put("x"), store.put(["y"]))
    assert seq[0] == "x" and list(seq[1]) == ["y"]
    tail = seq[1:]
    assert isinstance(tail, StoredSequence) and len(tail) == 1
    assert tail[0].digests == (store.put("y"),)


def test_get_many_returns_values_in_order_with_repeats(store: Store) -> None:
    a, b, c = store.put("a"), store.put([1, 2]), store.put(np.arange(300_000, dtype=np.int64))
    values = store.get_many([b, a, c, a])
    assert values[1] == values[3] == "a"
    assert list(values[0]) == [1, 2]
    assert np.array_equal(values[2], np.arange(300_000, dtype=np.int64))


def test_get_many_names_an_absent_object(store: Store) -> None:
    absent = Digest("sha256:" + "ef" * 32)
    with pytest.raises(ObjectNotFoundError) as exc:
        store.get_many([store.put(1), absent])
    assert str(exc.value) == f"no object {absent} in the store"


def test_iterating_a_long_stored_sequence_loads_every_item_in_order(store: Store) -> None:
    digest = store.put(list(range(1000)))
    assert list(store.get(digest)) == list(range(1000))


def test_put_sequence_makes_a_sequence_of_stored_items(store: Store) -> None:
    items = [store.put(i) for i in range(3)]
    digest = store.put_sequence(items)
    assert digest == store.put([0, 1, 2])
    assert list(store.get(digest)) == [0, 1, 2]


def test_put_sequence_refuses_items_that_are_not_stored(store: Store) -> None:
    absent = Digest("sha256:" + "cd" * 32)
    with pytest.raises(ObjectNotFoundError) as exc:
        store.put_sequence([store.put(1), absent])
    assert str(exc.value) == f"cannot store a sequence: item {absent} is not in the store"


def test_a_stored_sequence_from_another_store_is_copied_with_its_items(store: Store) -> None:
    other = MemoryStore()
    seq = other.get(other.put(["a", b"b"]))
    digest = store.put(seq)
    assert digest == other.put(["a", b"b"])
    assert list(store.get(digest)) == ["a", b"b"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.array([object()]), "cannot store an array of dtype 'object' (kind ndarray): only numeric dtypes"),
        (np.array(["a"]), "cannot store an array of dtype '<U1' (kind ndarray): only numeric dtypes"),
        ({1: "a"}, "cannot store a mapping with a key of kind 'int': keys must be str"),
        ({1, 2}, "cannot store a value of kind 'set'"),
    ],
    ids=["object-dtype", "str-dtype", "int-key", "set"],
)
def test_values_that_cannot_be_stored_are_refused_by_kind(store: Store, value: object, message: str) -> None:
    with pytest.raises(EncodingError) as exc:
        store.put(value)
    assert str(exc.value) == message


def test_objects_are_listed_newest_first(store: Store) -> None:
    a = store.put("first")
    time.sleep(0.002)
    b = store.put("second")
    listed = [o.digest for o in store.objects()]
    assert listed.index(b) < listed.index(a)


def test_object_info_of_one_object_equals_its_entry_in_the_listing(store: Store) -> None:
    digest = store.put([1, 2, 3])
    store.put("other")
    listed = {o.digest: o for o in store.objects()}
    assert store.object_info(digest) == listed[digest]
    assert store.object_info(digest).kind == "sequence"  # type: ignore[union-attr]
    assert store.object_info(Digest("sha256:" + "0" * 64)) is None


# -- nodes and results ----------------------------------------------------------------------------


def test_put_result_binds_the_node_and_keeps_its_definition(store: Store) -> None:
    node = const_node(7, label="seven")
    digest = store.put_result(node, 7, seconds=0.25)
    assert store.lookup(node.id) == digest
    assert store.get(digest) == 7
    record = store.node(node.id)
    assert record.definition == definition_to_json(node.definition)
    assert (record.op, record.span, record.label) == ("const", "prog.imgql:1:8", "seven")
    result = store.result(node.id)
    assert result is not None
    assert (result.digest, result.seconds, result.provenance, result.run) == (digest, 0.25, "local", None)


def test_a_result_records_the_stored_bytes_of_its_object_and_of_each_item_once(store: Store) -> None:
    rng = np.random.default_rng(3)
    big = rng.standard_normal(20_000)
    node = const_node(8)
    digest = store.put_result(node, [big, "x", big], seconds=1.5)
    items = set(store.get(digest).digests)
    assert len(items) == 2  # the array twice is one object
    expected = sum(store.object_info(d).stored_size for d in {digest, *items})  # type: ignore[union-attr]
    result = store.result(node.id)
    assert result is not None and (result.seconds, result.bytes) == (1.5, expected)


def test_an_application_records_its_operator(store: Store) -> None:
    a = const_node(1)
    node = apply_node("default.+", a.id, a.id)
    store.put_result(node, 2)
    assert store.node(node.id).op == "default.+"


def test_rebinding_a_node_to_the_same_value_changes_nothing(store: Store) -> None:
    node = const_node(3)
    store.put_result(node, 3, seconds=1.0)
    before = store.result(node.id)
    time.sleep(0.002)
    store.put_result(node, 3, seconds=9.0)
    assert store.result(node.id) == before


def test_rebinding_a_node_to_another_value_replaces_the_result(store: Store) -> None:
    node = const_node(4)
    store.put_result(node, "old")
    new = store.put_result(node, "new")
    assert store.lookup(node.id) == new


def test_put_results_commits_many_results_at_once(store: Store) -> None:
    nodes = [const_node(i) for i in range(50)]
    digests = store.put_results([PendingResult(n, i * 2, 0.1) for i, n in enumerate(nodes)])
    assert store.lookup_many([n.id for n in nodes]) == {n.id: d for n, d in zip(nodes, digests, strict=True)}
    assert store.get(digests[10]) == 20


def test_lookup_many_leaves_out_unknown_nodes(store: Store) -> None:
    node = const_node(5)
    store.put_result(node, 5)
    unknown = NodeId("f" * 64)
    assert store.lookup_many([node.id, unknown]) == {node.id: store.put(5)}
    assert store.lookup(unknown) is None


def test_put_nodes_records_definitions_without_results(store: Store) -> None:
    node = const_node(6)
    store.put_nodes([node])
    assert store.node(node.id).definition == definition_to_json(node.definition)
    assert store.result(node.id) is None


def test_an_unknown_node_is_reported_by_id(store: Store) -> None:
    with pytest.raises(ObjectNotFoundError) as exc:
        store.node(NodeId("e" * 64))
    assert str(exc.value) == f"no node {'e' * 64} in the store"


def test_delete_result_forgets_the_binding_but_keeps_the_object(store: Store) -> None:
    node = const_node(8)
    digest = store.put_result(node, "v")
    store.delete_result(node.id)
    assert store.lookup(node.id) is None and store.result(node.id) is None
    assert store.has(digest)


def test_results_are_listed_newest_first(store: Store) -> None:
    a, b = const_node(1), const_node(2)
    store.put_result(a, 1)
    time.sleep(0.002)
    store.put_result(b, 2)
    assert [r.node for r in store.results()] == [b.id, a.id]


# -- failures, runs, refs -------------------------------------------------------------------------


def test_a_run_is_recorded_from_start_to_finish(store: Store) -> None:
    goals = [{"kind": "print", "target": "x", "node": const_node(1).id}]
    run = store.start_run("prog.imgql", None, goals, {"scheduler": "threads"})
    info = store.run_info(run)
    assert (info.status, info.goals, info.options, info.finished) == (
        "running",
        goals,
        {"scheduler": "threads"},
        None,
    )
    store.finish_run(run, "ok", computed=3, reused=2, failed=0)
    info = store.run_info(run)
    assert (info.status, info.computed, info.reused, info.failed) == ("ok", 3, 2, 0)
    assert info.finished is not None


def test_runs_are_listed_newest_first(store: Store) -> None:
    first = store.start_run("a.imgql", None, [])
    time.sleep(0.002)
    second = store.start_run("b.imgql", None, [])
    assert [r.id for r in store.runs()] == [second, first]


def test_run_nodes_remember_what_a_run_did(store: Store) -> None:
    run = store.start_run("p.imgql", None, [])
    a, b = const_node(1).id, const_node(2).id
    store.note_run_nodes(run, [(a, "computed"), (b, "reused")])
    assert sorted(store.run_nodes(run)) == sorted([(a, "computed"), (b, "reused")])


def test_failures_are_kept_per_run(store: Store) -> None:
    run = store.start_run("p.imgql", None, [])
    other = store.start_run("q.imgql", None, [])
    node = const_node(9).id
    store.record_failure(node, run, "boom", "Traceback ...")
    assert [(f.node, f.message, f.traceback) for f in store.failures(run)] == [
        (node, "boom", "Traceback ...")
    ]
    assert store.failures(other) == []
    assert store.lookup(node) is None  # a failure is never a result


def test_an_unknown_run_is_reported_by_id(store: Store) -> None:
    with pytest.raises(ObjectNotFoundError) as exc:
        store.run_info(RunId("0" * 32))
    assert str(exc.value) == f"no run {'0' * 32} in the store"


def test_tag_points_a_name_at_a_run_and_untag_removes_it(store: Store) -> None:
    run = store.start_run("p.imgql", None, [])
    later = store.start_run("p.imgql", None, [])
    store.tag("baseline", run)
    store.tag("baseline", later)  # moving a ref replaces it
    assert store.refs() == {"baseline": later}
    store.untag("baseline")
    assert store.refs() == {}


def test_tagging_an_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(ObjectNotFoundError) as exc:
        store.tag("x", RunId("1" * 32))
    assert str(exc.value) == f"no run {'1' * 32} in the store"


def test_untagging_an_unknown_ref_names_it(store: Store) -> None:
    with pytest.raises(ObjectNotFoundError) as exc:
        store.untag("nope")
    assert str(exc.value) == "no ref named 'nope'"


def test_a_ref_name_with_spaces_is_refused(store: Store) -> None:
    run = store.start_run("p.imgql", None, [])
    with pytest.raises(UsageError) as exc:
        store.tag("my ref", run)
    assert str(exc.value) == (
        "invalid ref name 'my ref': use letters, digits and . _ / + - (not starting with a symbol)"
    )


# -- ids ------------------------------------------------------------------------------------------


def test_a_digest_prefix_resolves_with_or_without_its_scheme(store: Store) -> None:
    digest = store.put("resolve me")
    assert store.resolve(digest[7:15]) == ("object", digest)
    assert store.resolve(digest[:15]) == ("object", digest)
    assert store.resolve(digest) == ("object", digest)
    assert store.resolve(digest[7:15].upper()) == ("object", digest)


def test_node_and_run_prefixes_resolve(store: Store) -> None:
    node = const_node(11)
    store.put_result(node, 11)
    run = store.start_run("p.imgql", None, [])
    assert store.resolve(node.id[:10]) == ("node", node.id)
    assert store.resolve(run[:10]) == ("run", run)


def test_a_ref_name_resolves_to_its_run(store: Store) -> None:
    run = store.start_run("p.imgql", None, [])
    store.tag("v1.0", run)
    assert store.resolve("v1.0") == ("run", run)


def test_an_ambiguous_prefix_lists_what_it_matches(store: Store) -> None:
    digests: dict[str, list[Digest]] = {}
    i = 0
    while True:  # find two objects whose digests share 4 hex digits
        d = store.put(i)
        digests.setdefault(d[7:11], []).append(d)
        if len(digests[d[7:11]]) == 2:
            break
        i += 1
    prefix = d[7:11]
    a, b = sorted(digests[prefix])
    with pytest.raises(AmbiguousPrefixError) as exc:
        store.resolve(prefix)
    assert str(exc.value) == f"ambiguous id '{prefix}': matches 2 ids (object {a[:23]}…, object {b[:23]}…)"


def test_an_unknown_id_is_reported_as_given(store: Store) -> None:
    with pytest.raises(ObjectNotFoundError) as exc:
        store.resolve("zz99")
    assert str(exc.value) == "no object, node, run or ref matches 'zz99'"
    with pytest.raises(ObjectNotFoundError):
        store.resolve("abcdef0123")


def test_a_prefix_shorter_than_four_digits_is_refused(store: Store) -> None:
    with pytest.raises(UsageError) as exc:
        store.resolve("abc")
    assert str(exc.value) == "id prefix 'abc' is too short: give at least 4 hex digits"


# -- fingerprints ---------------------------------------------------------------------------------


def test_a_fingerprint_is_cached_by_path_and_whole_file_state(store: Store) -> None:
    first, second = "file:10:123:123:7:1", "file:10:123:124:7:1"  # only the ctime differs
    store.remember_fingerprint("/data/a.nii", first, "fp1")
    assert store.cached_fingerprint("/data/a.nii", first) == "fp1"
    assert store.cached_fingerprint("/data/a.nii", second) is None
    assert store.cached_fingerprint("/data/b.nii", first) is None
    store.remember_fingerprint("/data/a.nii", second, "fp2")
    assert store.cached_fingerprint("/data/a.nii", second) == "fp2"
    assert store.cached_fingerprint("/data/a.nii", first) is None  # one entry per path: the latest
