"""Start-up: Whoosh's unused heavy imports are deferred, and stay usable."""

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def test_searching_does_not_load_what_it_never_uses(tmp_path):
    from search import Index

    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "1", "title": "Визит", "body": "Лавров посетил Японию"}])
    output = run_python(
        f"""
        import sys
        from search import Index
        with Index.open({str(tmp_path / "ix")!r}) as ix:
            assert ix.search("Лавров").total == 1
        heavy = ("urllib.request", "asyncio", "email", "ssl", "whoosh.lang.morph_en", "whoosh.lang.porter", "rapidfuzz")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    assert output == "[]"


def test_the_real_modules_load_when_asked_for(tmp_path):
    source = tmp_path / "page.txt"
    source.write_text("скачано", encoding="utf-8")
    output = run_python(
        f"""
        import pathlib
        import search.index
        import asyncio, urllib.request, whoosh.compat, cached_property
        print(urllib.request.Request.__name__, asyncio.run.__name__)
        # Whoosh's download helper and cached_property's coroutine support still work.
        saved, _ = whoosh.compat.urlretrieve({source.as_uri()!r}, {str(tmp_path / "copy.txt")!r})
        print(pathlib.Path(saved).read_text(encoding="utf-8"))

        class Thing:
            @cached_property.cached_property
            async def value(self):
                return 42

            @cached_property.cached_property
            def plain(self):
                return 7

        async def read(thing):
            return await thing.value

        thing = Thing()
        print(asyncio.run(read(thing)), thing.plain)
        """
    )
    assert output.splitlines() == ["Request run", "скачано", "42 7"]


def test_whoosh_english_morphology_and_stemmer_still_work():
    output = run_python(
        """
        import search
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.query import Variations
        from whoosh.lang.morph_en import variations
        print([t.text for t in StemmingAnalyzer()("dogs")], "dogs" in variations("dog"))
        """
    )
    assert output == "['dog'] True"


def test_the_command_keeps_openblas_to_one_thread_unless_told_otherwise():
    import os

    code = "import os, search.cli; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    unset = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    for preset, expected in ((None, "1"), ("4", "4")):
        env = dict(unset, **({"OPENBLAS_NUM_THREADS": preset} if preset else {}))
        completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert completed.stdout.strip() == expected
    library_only = "import os, search; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    completed = subprocess.run([sys.executable, "-c", library_only], capture_output=True, text=True, check=True, env=unset)
    assert completed.stdout.strip() == "None"
