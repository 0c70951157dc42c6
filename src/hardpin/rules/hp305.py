"""HP305: insecure index option in a requirements file."""

from __future__ import annotations

import re

from hardpin.analysis.requirements import requirements_doc, show
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import has_credentials, redact

_WHAT = {
    "--index-url": "a package index",
    "--extra-index-url": "an extra package index",
    "--find-links": "a package source",
}


class HP305(Rule):
    """Insecure index option in a requirements file.

    ## What it does
    Reports the option lines of a requirements file (inputs included) that
    weaken where packages come from:

    - `--index-url` / `-i`, `--extra-index-url` and `--find-links` / `-f`
      over plain `http://`: an **error**. A loopback host (`localhost`,
      `127.0.0.1`) is reported too: the file is shared with machines where
      that address is something else, and the fix is only a scheme away;
    - `--extra-index-url` over https: a **warning**. pip treats all its
      indexes as one and installs the highest version any of them offers,
      so a name from the private index can be taken over by whoever
      publishes it on PyPI with a higher version (dependency confusion);
    - `--trusted-host`: a **warning**. It turns off TLS certificate checks
      for that host and lets pip use plain http to it;
    - credentials written into an index or `--find-links` URL, or into the
      URL of a requirement (`git+https://user:secret@host/repo.git`): a
      password, a token before `@` (`https://ghp_…@host/simple`), or a
      secret query parameter (`?token=`, `access_token=`, `auth=`, `key=`,
      `password=`, `secret=`, `sig=`, `X-Amz-Signature=`, …): an **error**.
      Passwords holding a raw `@`, `/`, `?`, `#` or a space are found too.
      The secret is never shown in the message. `${VAR}` references, which
      pip fills in from the environment, are fine.

    ## Why it matters
    Over plain http, or with certificate checks off, anyone on the network
    path can serve other packages; hashes protect only the requirements
    that have them, and never what `pip-compile` resolves against that
    index. An extra index is how the `torchtriton` package of PyTorch's
    nightly index was hijacked in December 2022. A token in a committed
    file is readable by everyone who can read the repository, and by every
    build log that echoes the file.

    ## Example
    ```text
    --index-url http://pypi.internal.example/simple
    --extra-index-url https://deploy:s3cr3t@pkgs.example.com/simple
    --trusted-host pypi.internal.example
    ```

    ## Use instead
    ```text
    --index-url https://pypi.internal.example/simple
    ```
    with one index that proxies PyPI and the private packages, and its
    credentials in `PIP_INDEX_URL` or a keyring, or written as
    `https://${PIP_USER}:${PIP_TOKEN}@pkgs.example.com/simple`.

    ## Fix safety
    No automatic fix: whether the index serves https, and which packages
    belong to which index, only its owner knows.
    """

    code = "HP305"
    name = "insecure-index-option"
    severity = Severity.WARNING
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None:
            return
        for o in doc.options:
            if o.value is None:
                continue
            start = o.value_start if o.value_start is not None else o.start
            end = o.value_end if o.value_end is not None else o.end
            if o.name == "--trusted-host":
                ctx.report(
                    self,
                    o.start,
                    o.end,
                    f"--trusted-host {o.value} turns off TLS certificate checks for that host "
                    f"and allows plain http to it: anyone on the network path can serve other "
                    f"packages; give the index a valid certificate (or point pip at its CA with "
                    f"--cert)",
                    subject=f"--trusted-host {o.value}",
                )
                continue
            what = _WHAT.get(o.name)
            if what is None:
                continue
            url = o.value.strip()
            shown = redact(url)
            subject = f"{o.name} {shown}"
            if re.match(r"^http://", url, re.IGNORECASE):
                mixed = (
                    ", and as an extra index it can win over the main one for any package name"
                    if o.name == "--extra-index-url"
                    else ""
                )
                ctx.report(
                    self,
                    start,
                    end,
                    f"{o.name} {shown} is {what} over plain http: packages can be swapped in "
                    f"transit{mixed}; use https",
                    subject=subject,
                    severity=Severity.ERROR,
                )
            elif o.name == "--extra-index-url":
                ctx.report(
                    self,
                    start,
                    end,
                    f"--extra-index-url {shown} adds a second index that pip treats as equal to "
                    f"the first, so a package published under the same name with a higher "
                    f"version on either index wins (dependency confusion); use a single index "
                    f"that proxies both",
                    subject=subject,
                )
            if has_credentials(url):
                ctx.report(
                    self,
                    start,
                    end,
                    f"{o.name} {shown} has credentials written into the URL: anyone who can read "
                    f"this file can use them; rotate them and pass them through the environment "
                    f"(https://${{USER}}:${{TOKEN}}@host/…, PIP_INDEX_URL) or a keyring",
                    subject=f"{subject} (credentials)",
                    severity=Severity.ERROR,
                )
        for r in doc.requirements:
            if r.url is None or not has_credentials(r.url):
                continue
            shown = show(r.text)
            ctx.report(
                self,
                r.start,
                r.end,
                f"`{shown}` has credentials written into the URL: anyone who can read this "
                f"file can use them; rotate them and pass them through the environment "
                f"(https://${{TOKEN}}@host/…) or a git credential helper",
                subject=f"{shown} (credentials)",
                severity=Severity.ERROR,
            )
