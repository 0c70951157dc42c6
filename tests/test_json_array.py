"""`parsers.dockerfile.json_string_array` reads exec-form arrays without json, and
answers exactly as `json.loads` followed by the list-of-strings check."""

from __future__ import annotations

import json
import random

from hardpin.parsers.dockerfile import json_string_array


def reference(text: str) -> list[str] | None:
    try:
        val = json.loads(text)
    except ValueError:
        return None
    if isinstance(val, list) and all(isinstance(x, str) for x in val):
        return val
    return None


HAND = [
    "[]",
    "[ ]",
    '["a"]',
    '[ "/bin/sh", "-c" ]',
    '["sh","-c","echo hi"]',
    '["a" , "b"]',
    '["a",]',
    '[,"a"]',
    '["a" "b"]',
    '["a"]]',
    '["a"] x',
    '["a"]  \t\r\n',
    '\t["a"]',
    '["a", 1]',
    '["a", null]',
    '[["a"]]',
    '["a\\"b"]',
    '["a\\\\b"]',
    '["\\u00e9"]',
    '["\\ud800"]',
    '["a\tb"]',
    '["a\nb"]',
    '["a\x7fb"]',
    '["é ü 漢"]',
    '["\u00a0"]',
    '["\udcff"]',
    '["a"',
    '["a',
    '["a",',
    "[",
    "['a']",
    '{"a": "b"}',
    '"a"',
    '["a"]\x0b',
    '["a"]\ufeff',
    '["a"] ["b"]',
    '[\x0c"a"]',
    '["a"]\u3000',
    '["", ""]',
    '["$HOME", "${X:-y}"]',
    '["a","b","c","d","e","f","g","h"]',
]

PIECES = [
    "[",
    "]",
    '"',
    ",",
    " ",
    "\t",
    "\n",
    "\r",
    "a",
    "-c",
    "\\",
    "\\n",
    '\\"',
    "é",
    "\x01",
    "1",
    "null",
    "\u2028",
    "\udc80",
    "{",
    "}",
    ":",
]


def test_hand_picked() -> None:
    for text in HAND:
        assert json_string_array(text) == reference(text), repr(text)


def test_generated_near_misses() -> None:
    rng = random.Random(20261202)
    for _ in range(20000):
        if rng.random() < 0.5:
            # a valid array of strings, then maybe one random edit
            items = [
                "".join(rng.choice(PIECES[7:]) for _ in range(rng.randint(0, 4)))
                for _ in range(rng.randint(0, 4))
            ]
            text = json.dumps(items, ensure_ascii=rng.random() < 0.5)
            if rng.random() < 0.5:
                text = text.replace(", ", rng.choice([",", " , ", ",\n", ",\t"]))
            if rng.random() < 0.7:
                k = rng.randrange(len(text) + 1)
                text = text[:k] + rng.choice(PIECES) + text[k + rng.randint(0, 1) :]
        else:
            text = "[" + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 10)))
        assert json_string_array(text) == reference(text), repr(text)


def test_plain_arrays_do_not_import_json() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from hardpin.parsers.dockerfile import json_string_array\n"
        "assert json_string_array('[\"/bin/sh\", \"-c\"]') == ['/bin/sh', '-c']\n"
        "print('json' in sys.modules)\n"
    )
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"
