#!/usr/bin/python3
"""Skyport driven by a real Galaxy client: BioBlend (Debian's python3-bioblend).

Run against a running server:
    SKYPORT_URL=http://127.0.0.1:8080 SKYPORT_API_KEY=... /usr/bin/python3 tests/bioblend/test_bioblend.py

Exits non-zero when any check fails (unittest). The xunit test Clients/BioBlendTests starts a server
and runs this script.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import unittest
import uuid
import warnings

try:
    import bioblend
    from bioblend.galaxy import GalaxyInstance
except ImportError as e:  # pragma: no cover - reported by the xunit wrapper
    print(f"BIOBLEND_MISSING: cannot import bioblend ({e}); run ./test.sh, which installs python3-bioblend", file=sys.stderr)
    sys.exit(3)

URL = os.environ.get("SKYPORT_URL")
KEY = os.environ.get("SKYPORT_API_KEY")

# Waits are bounded so that a stuck job fails the run instead of hanging it.
MAXWAIT = 120
INTERVAL = 0.2

BINARY_SIZE = 5 * 1024 * 1024 + 12345  # not a multiple of the TUS chunk size: the last chunk is short
TUS_CHUNK = 1024 * 1024
TABULAR = "chr1\t100\t200\tgene_a\nchr1\t300\t400\tgene_b\nchr2\t500\t600\tgene_c\n"
PASTED = "#id\tvalue\nalpha\t1\nbeta\t2\ngamma\t3\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BioBlendAgainstSkyport(unittest.TestCase):
    """One history per class; tests add what they need to it and never depend on each other's order."""

    gi: GalaxyInstance
    history_id: str
    history_name: str
    work: str

    @classmethod
    def setUpClass(cls):
        cls.gi = GalaxyInstance(url=URL, key=KEY)
        cls.work = tempfile.mkdtemp(prefix="skyport-bioblend-")
        cls.history_name = f"bioblend {uuid.uuid4().hex[:12]}"
        cls.history_id = cls.gi.histories.create_history(name=cls.history_name)["id"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------------------

    def write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def single_output(self, tool_response: dict) -> tuple:
        """(dataset id, job id) of an upload that creates one dataset, after its job finished ok."""
        self.assertEqual(1, len(tool_response["outputs"]), tool_response)
        self.assertEqual(1, len(tool_response["jobs"]), tool_response)
        dataset_id = tool_response["outputs"][0]["id"]
        job_id = tool_response["jobs"][0]["id"]
        job = self.gi.jobs.wait_for_job(job_id, maxwait=MAXWAIT, interval=INTERVAL)
        self.assertEqual("ok", job["state"], job)
        dataset = self.gi.datasets.wait_for_dataset(dataset_id, maxwait=MAXWAIT, interval=INTERVAL)
        self.assertEqual("ok", dataset["state"], dataset)
        return dataset_id, job_id

    def assert_downloads(self, dataset_id: str, expected: bytes, ext: str):
        in_memory = self.gi.datasets.download_dataset(dataset_id)
        self.assertEqual(len(expected), len(in_memory))
        self.assertEqual(sha256(expected), sha256(in_memory))

        folder = tempfile.mkdtemp(dir=self.work)
        path = self.gi.datasets.download_dataset(dataset_id, file_path=folder, use_default_filename=True)
        self.assertEqual(folder, os.path.dirname(path))
        self.assertTrue(path.endswith("." + ext), f"downloaded file name {path!r} should end with .{ext}")
        with open(path, "rb") as f:
            self.assertEqual(sha256(expected), sha256(f.read()))

        exact = os.path.join(self.work, f"exact-{dataset_id}")
        self.assertEqual(exact, self.gi.datasets.download_dataset(dataset_id, file_path=exact, use_default_filename=False))
        with open(exact, "rb") as f:
            self.assertEqual(sha256(expected), sha256(f.read()))

    # -- server information -------------------------------------------------------------------------

    def test_version_and_config(self):
        version = self.gi.config.get_version()
        # BioBlend compares version_major as a string to pick TUS + /api/tools/fetch for uploads.
        self.assertGreaterEqual(version["version_major"], "22.01", version)
        config = self.gi.config.get_config()
        self.assertIn("version_major", config)
        self.assertEqual(version["version_major"], config["version_major"])
        self.assertTrue(config.get("is_authenticated"), config)

    # -- histories ----------------------------------------------------------------------------------

    def test_history_listed_and_found_by_name(self):
        listed = self.gi.histories.get_histories()
        self.assertIn(self.history_id, [h["id"] for h in listed])
        by_name = self.gi.histories.get_histories(name=self.history_name)
        self.assertEqual([self.history_id], [h["id"] for h in by_name])
        self.assertEqual(self.history_name, by_name[0]["name"])
        self.assertEqual([], self.gi.histories.get_histories(name=self.history_name + " (no such history)"))
        shown = self.gi.histories.show_history(self.history_id)
        self.assertEqual(self.history_name, shown["name"])

    def test_update_history_name(self):
        history_id = self.gi.histories.create_history(name="to be renamed")["id"]
        new_name = f"renamed {uuid.uuid4().hex[:8]}"
        self.gi.histories.update_history(history_id, name=new_name)
        self.assertEqual(new_name, self.gi.histories.show_history(history_id)["name"])
        self.assertEqual([history_id], [h["id"] for h in self.gi.histories.get_histories(name=new_name)])

    # -- uploads and downloads ----------------------------------------------------------------------

    def test_upload_binary_file_through_tus(self):
        data = os.urandom(BINARY_SIZE)
        path = self.write("random.bin", data)
        response = self.gi.tools.upload_file(path, self.history_id, chunk_size=TUS_CHUNK)
        dataset_id, job_id = self.single_output(response)

        dataset = self.gi.datasets.show_dataset(dataset_id)
        self.assertEqual("random.bin", dataset["name"])
        self.assertEqual("data", dataset["file_ext"], "random bytes should sniff as 'data'")
        self.assertEqual(len(data), dataset["file_size"])
        self.assertEqual(self.history_id, dataset["history_id"])
        hashes = {h["hash_function"]: h["hash_value"] for h in dataset.get("hashes", [])}
        self.assertEqual(sha256(data), hashes.get("SHA-256"), dataset.get("hashes"))
        self.assertEqual(hashlib.md5(data).hexdigest(), hashes.get("MD5"), dataset.get("hashes"))
        self.assert_downloads(dataset_id, data, "data")

        job = self.gi.jobs.show_job(job_id)
        self.assertEqual(job_id, job["id"])
        self.assertEqual("ok", job["state"])
        self.assertEqual("__DATA_FETCH__", job["tool_id"])
        self.assertEqual(self.history_id, job.get("history_id"), job)

    def test_upload_text_file_is_sniffed(self):
        data = TABULAR.encode()
        path = self.write("genes.txt", data)
        dataset_id, _ = self.single_output(self.gi.tools.upload_file(path, self.history_id, file_name="genes"))
        dataset = self.gi.datasets.show_dataset(dataset_id)
        self.assertEqual("genes", dataset["name"])
        self.assertIn(dataset["file_ext"], ("bed", "interval"), dataset)
        self.assertEqual(len(data), dataset["file_size"])
        self.assertIn("chr1", dataset.get("peek") or "", dataset)
        self.assert_downloads(dataset_id, data, dataset["file_ext"])

    def test_upload_with_explicit_type_and_dbkey(self):
        data = b"a,b\n1,2\n"
        path = self.write("table.csv", data)
        dataset_id, _ = self.single_output(
            self.gi.tools.upload_file(path, self.history_id, file_type="txt", dbkey="hg38"))
        dataset = self.gi.datasets.show_dataset(dataset_id)
        self.assertEqual("txt", dataset["file_ext"])
        self.assertEqual("hg38", dataset.get("genome_build"), dataset)

    def test_paste_content(self):
        response = self.gi.tools.paste_content(PASTED, self.history_id, file_name="pasted table")
        dataset_id, job_id = self.single_output(response)
        dataset = self.gi.datasets.show_dataset(dataset_id)
        self.assertEqual("pasted table", dataset["name"])
        self.assertEqual("tabular", dataset["file_ext"], dataset)
        self.assertEqual(len(PASTED.encode()), dataset["file_size"])
        self.assertEqual("upload1", self.gi.jobs.show_job(job_id)["tool_id"])
        self.assert_downloads(dataset_id, PASTED.encode(), "tabular")

    def test_paste_content_converts_line_endings(self):
        dataset_id, _ = self.single_output(self.gi.tools.paste_content("x\r\ny\r\n", self.history_id, file_type="txt"))
        self.assertEqual(b"x\ny\n", self.gi.datasets.download_dataset(dataset_id))

    # -- history contents ---------------------------------------------------------------------------

    def test_history_contents_list_uploads(self):
        history_id = self.gi.histories.create_history(name="contents")["id"]
        first, _ = self.single_output(self.gi.tools.paste_content("one\n", history_id, file_name="first"))
        second, _ = self.single_output(self.gi.tools.paste_content("two\n", history_id, file_name="second"))

        contents = self.gi.histories.show_history(history_id, contents=True)
        self.assertEqual([first, second], [c["id"] for c in contents])
        self.assertEqual(["first", "second"], [c["name"] for c in contents])
        self.assertEqual([1, 2], [c["hid"] for c in contents])
        for c in contents:
            self.assertEqual("dataset", c["history_content_type"])
            self.assertEqual("ok", c["state"])
            self.assertFalse(c["deleted"])
            self.assertTrue(c["visible"])

        shown = self.gi.histories.show_dataset(history_id, first)
        self.assertEqual(first, shown["id"])
        self.assertEqual("first", shown["name"])

        details = self.gi.histories.show_history(history_id, contents=True, details="all")
        self.assertEqual(2, len(details))

    def test_delete_dataset(self):
        history_id = self.gi.histories.create_history(name="deletions")["id"]
        keep, _ = self.single_output(self.gi.tools.paste_content("keep\n", history_id))
        drop, _ = self.single_output(self.gi.tools.paste_content("drop\n", history_id))

        self.gi.histories.delete_dataset(history_id, drop)

        self.assertTrue(self.gi.datasets.show_dataset(drop)["deleted"])
        self.assertFalse(self.gi.datasets.show_dataset(keep)["deleted"])
        visible = self.gi.histories.show_history(history_id, contents=True, deleted=False)
        self.assertEqual([keep], [c["id"] for c in visible])
        deleted = self.gi.histories.show_history(history_id, contents=True, deleted=True)
        self.assertEqual([drop], [c["id"] for c in deleted])

    # BioBlend sends purge in the JSON body of the DELETE ({"purge": true}), as Galaxy allows.
    def test_purge_dataset(self):
        history_id = self.gi.histories.create_history(name="purge")["id"]
        dataset_id, _ = self.single_output(self.gi.tools.paste_content("purge me\n", history_id))
        self.gi.histories.delete_dataset(history_id, dataset_id, purge=True)
        purged = self.gi.datasets.show_dataset(dataset_id)
        self.assertTrue(purged["deleted"])
        self.assertTrue(purged["purged"], "purge=True sent in the DELETE body was ignored")

    # -- errors -------------------------------------------------------------------------------------

    def assert_galaxy_error(self, call, status: int, err_codes: tuple):
        with self.assertRaises(bioblend.ConnectionError) as raised:
            call()
        error = raised.exception
        self.assertEqual(status, error.status_code, error.body)
        body = json.loads(error.body)
        self.assertIn(body.get("err_code"), err_codes, body)
        self.assertTrue(body.get("err_msg"), body)

    def test_malformed_ids_raise_galaxy_errors(self):
        self.assert_galaxy_error(lambda: self.gi.histories.show_history("not-an-id"), 400, (400009,))
        self.assert_galaxy_error(lambda: self.gi.datasets.show_dataset("not-an-id"), 400, (400009,))
        self.assert_galaxy_error(lambda: self.gi.jobs.show_job("not-an-id"), 400, (400009,))

    def test_unknown_dataset_raises_404(self):
        # A well-formed id that (almost surely) belongs to nothing: a real one, reversed. Depending on
        # the id secret it decodes to an unknown number (404001) or not at all (400009).
        dataset_id, _ = self.single_output(self.gi.tools.paste_content("probe\n", self.history_id))
        unknown = dataset_id[::-1]
        try:
            self.gi.datasets.show_dataset(unknown)
        except bioblend.ConnectionError as e:
            body = json.loads(e.body)
            self.assertIn((e.status_code, body.get("err_code")), ((404, 404001), (400, 400009)), body)
        else:
            self.fail(f"show_dataset({unknown!r}) should fail")

    def test_wrong_api_key_is_rejected(self):
        anonymous = GalaxyInstance(url=URL, key="0" * 32)
        with self.assertRaises(bioblend.ConnectionError) as raised:
            anonymous.histories.get_histories()
        self.assertIn(raised.exception.status_code, (401, 403), raised.exception.body)


if __name__ == "__main__":
    if not URL or not KEY:
        print("Set SKYPORT_URL and SKYPORT_API_KEY (the server to test and an API key of one of its users).", file=sys.stderr)
        sys.exit(2)
    # tusclient leaves its file open after an upload; that is the client's business, not the server's.
    warnings.filterwarnings("ignore", category=ResourceWarning)
    unittest.main(verbosity=2)
