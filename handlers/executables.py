"""Programs and scripts: refused outright, by detected type and by file name (issue 4).

A script is often plain text to libmagic (JavaScript, VBScript, PowerShell): judged by its
bytes alone it would be "cleaned" as text and released under its own name, still runnable
by a double-click. So a name with a program or script extension is refused whatever the
bytes are (fail closed, Chiba 2(12) 無害化: nothing executable passes).
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from core.errors import ExecutableContent

EXECUTABLE_MIME_TYPES = frozenset({
    "application/x-dosexec", "application/vnd.microsoft.portable-executable",
    "application/x-msdownload", "application/x-executable", "application/x-sharedlib",
    "application/x-pie-executable", "application/x-elf", "application/x-mach-binary",
    "application/x-msi", "application/x-ms-installer", "application/java-archive",
    "application/x-java-applet", "application/java-vm", "application/x-shockwave-flash",
    "text/x-shellscript", "text/x-script.python", "text/x-python", "text/x-perl",
    "text/x-script.perl", "text/x-ruby", "text/x-php", "text/x-msdos-batch",
    "application/javascript", "text/javascript", "application/x-javascript",
    "text/vbscript", "application/hta", "application/x-bat",
})

#: Windows runs these on a double-click (or through a registered host), Unix shells run the
#: scripts; Office add-ins and shortcuts load code as well.
EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "mst", "sys", "drv", "ocx",
    "bat", "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh",
    "wsc", "hta", "sct", "jar", "class", "sh", "bash", "zsh", "csh", "ksh", "py", "pyc",
    "pyw", "pl", "rb", "php", "elf", "so", "dylib", "app", "apk", "deb", "rpm", "lnk",
    "url", "scf", "reg", "inf", "chm", "xll", "xlam", "ppam", "gadget",
    "application", "appref-ms", "msc", "jnlp", "iso", "img", "vhd", "vhdx",
})


def extension_of(filename: str) -> str:
    """The last extension, lower case, of a name from any client OS (``\\`` or ``/``)."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    # Trailing dots and spaces are ignored by Windows: "run.exe." runs as run.exe.
    suffix = name.rstrip(". ").rpartition(".")
    return suffix[2].lower() if suffix[1] else ""


def refuse_executable(mime: str, filename: str | None) -> None:
    """Raise ExecutableContent for a program or script, by type or by name."""
    if mime in EXECUTABLE_MIME_TYPES:
        raise ExecutableContent(f"{mime} content is a program or script")
    extension = extension_of(filename or "")
    if extension in EXECUTABLE_EXTENSIONS:
        raise ExecutableContent(f"files named .{extension} are programs or scripts")
