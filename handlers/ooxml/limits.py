"""Limits of the OOXML sanitiser, each with its own error and stable ``code``.

The ZIP layer's own limits (compressed size, member count, declared expansion, compression
ratio, member size) are enforced by ``handlers.extract.zipsafe.SafeZip``, and the XML layer's
(nesting depth, element count, DTDs) by the same constants as ``handlers.extract.xmlsafe``;
what is here is what only a rebuild of an Open Packaging Conventions package needs.
"""

from __future__ import annotations

from core.errors import CorruptFile, LimitExceeded, UnsupportedContent

#: Relationships in one package (all ``.rels`` parts together). Real documents have tens to
#: a few thousand (one per picture, hyperlink, slide); more is a resource attack on the walk.
MAX_RELATIONSHIPS = 50_000
#: Complex fields open inside one another in a Word story. Word itself stops near 20 levels;
#: an unbalanced run of ``fldChar begin`` is an attack on the field bookkeeping.
MAX_FIELD_DEPTH = 32
#: Longest print header Excel accepts (its own limit, in characters): a visible label that
#: does not fit beside the sheet's existing centre header is refused, never truncated.
MAX_EXCEL_HEADER_CHARS = 255
#: Entries in ``[Content_Types].xml``: one per part at most, plus extension defaults.
MAX_CONTENT_TYPE_ENTRIES = 20_000


class TooManyRelationships(LimitExceeded):
    code = "too_many_relationships"
    default_message = "the package has more relationships than the sanitiser walks"


class FieldsTooDeep(LimitExceeded):
    code = "fields_too_deep"
    default_message = "fields nest deeper than the sanitiser follows"


class TooManyContentTypes(LimitExceeded):
    code = "too_many_content_types"
    default_message = "the package declares more content types than the sanitiser reads"


class NotAnOfficePackage(CorruptFile):
    """No ``[Content_Types].xml``, no main document relationship, or a main part whose
    content type is not a Word, Excel or PowerPoint document."""

    code = "not_ooxml"
    default_message = "the file is not an Office Open XML document"


class PackageTypeMismatch(CorruptFile):
    """A Word handler given a workbook (libmagic judges by folder names, which a hostile
    package chooses freely; the main part's content type decides)."""

    code = "ooxml_type_mismatch"
    default_message = "the package is a different kind of Office document"


class DuplicatePart(CorruptFile):
    """Two ZIP entries for one part name (part names are case-insensitive): readers disagree
    on which one counts, which is how content hides from a scanner."""

    code = "duplicate_part"
    default_message = "the package holds two entries for the same part"


class UnsupportedOfficeFormat(UnsupportedContent):
    """Binary workbooks (.xlsb) keep their cells in a binary format this sanitiser does not
    rebuild; they are refused, never passed through."""

    code = "unsupported_office_format"
    default_message = "this Office format variant cannot be sanitised"


class DuplicateRelationship(CorruptFile):
    """Two relationships with one id in one part: a reference could mean either target."""

    code = "duplicate_relationship"
    default_message = "a part declares the same relationship id twice"


class LabelDoesNotFit(LimitExceeded):
    code = "label_does_not_fit"
    default_message = "the visible label does not fit into the sheet's print header"
