"""The one exception root of sekisho.

Every error has a stable snake_case ``code`` (clients and tests key on it) and an HTTP
status. ``service/`` maps them to JSON in exactly one place; domain code never returns
False for a failure, it raises one of these.
"""

from __future__ import annotations


class SekishoError(Exception):
    """Root of every error sekisho raises on purpose."""

    code = "internal_error"
    http_status = 500
    default_message = "internal error"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class InvalidRequest(SekishoError):
    code = "invalid_request"
    http_status = 400
    default_message = "the request is malformed"


class MalformedMultipart(InvalidRequest):
    code = "malformed_multipart"
    default_message = "the multipart body could not be parsed"


class Unauthenticated(SekishoError):
    code = "unauthenticated"
    http_status = 401
    default_message = "a valid API token is required"


class Forbidden(SekishoError):
    code = "forbidden"
    http_status = 403
    default_message = "your role does not allow this action"


class SeparationOfDutiesViolation(Forbidden):
    """兼務の禁止: the person who asks is never the person who approves (Saitama 第2 1(6))."""

    code = "separation_of_duties"
    default_message = "the requester cannot approve their own request"


class NotFound(SekishoError):
    code = "not_found"
    http_status = 404
    default_message = "no such object"


class HandlingRestricted(Forbidden):
    """A handling restriction (取扱制限) forbids the act, e.g. a copy of a 複製禁止 document
    (Saitama 第1 2(2)イ(ア)); the message names the restriction."""

    code = "handling_restricted"
    default_message = "a handling restriction of the document forbids this"


class Conflict(SekishoError):
    code = "conflict"
    http_status = 409
    default_message = "the object is not in a state that allows this"


class PayloadTooLarge(SekishoError):
    code = "payload_too_large"
    http_status = 413
    default_message = "the upload exceeds the configured size limit"


class UnsupportedContent(SekishoError):
    code = "unsupported_content"
    http_status = 415
    default_message = "this kind of content cannot be processed"


class ContentRejected(SekishoError):
    """Content was inspected and refused (corrupt, encrypted, over a parser limit...)."""

    code = "content_rejected"
    http_status = 422
    default_message = "the content was refused"


class CorruptFile(ContentRejected):
    code = "corrupt_file"
    default_message = "the file is corrupt or not what it claims to be"


class EncryptedContent(ContentRejected):
    code = "encrypted_content"
    default_message = "the file is encrypted or password-protected and cannot be inspected"


class LimitExceeded(ContentRejected):
    code = "limit_exceeded"
    default_message = "the file exceeds a processing limit"


class VerificationFailed(ContentRejected):
    code = "verification_failed"
    default_message = "the cleaned output failed independent verification and was discarded"


class ExecutableContent(UnsupportedContent):
    """Programs and scripts are never inspected or passed through (issue 4)."""

    code = "executable_content"
    default_message = "executables and scripts are refused"


class ConverterUnavailable(UnsupportedContent):
    """The format needs a converter (LibreOffice) that this installation does not have."""

    code = "converter_unavailable"
    default_message = "this format needs LibreOffice, which is not installed here"


class RefusedByProfile(ContentRejected):
    """The file holds something the profile says to refuse rather than clean (tracked
    changes, hidden sheets...)."""

    code = "refused_by_profile"
    default_message = "the profile refuses files with this content"


class MalwareDetected(ContentRejected):
    code = "malware_detected"
    default_message = "the malware scanner reported this file; it is quarantined"


class ProcessingTimeout(ContentRejected):
    code = "processing_timeout"
    default_message = "processing the file took longer than allowed"


class ResourceLimitExceeded(ContentRejected):
    """The isolated child cleaning the file ran out of its memory or CPU allowance."""

    code = "resource_limit_exceeded"
    default_message = "processing the file needed more memory or CPU time than allowed"


class AlgorithmNotAllowed(SekishoError):
    """An algorithm, mode, key size or nonce length not on the CRYPTREC allow-list."""

    code = "algorithm_not_allowed"
    http_status = 400
    default_message = "the algorithm is not on the allow-list"


class DecryptionFailed(SekishoError):
    """Deliberately opaque: never says whether the key, the tag or the header was wrong."""

    code = "decryption_failed"
    http_status = 500
    default_message = "the object could not be decrypted"


class KeyUnavailable(SekishoError):
    code = "key_unavailable"
    http_status = 500
    default_message = "the key is not available"


class ConfigurationError(SekishoError):
    """Raised at start-up; stops the service with a message naming the file and field."""

    code = "configuration_error"
    http_status = 500
    default_message = "the configuration is invalid"


class ProfileInvalid(ConfigurationError):
    code = "profile_invalid"
    default_message = "a policy profile is invalid"


class UnknownProfile(InvalidRequest):
    code = "unknown_profile"
    default_message = "no such policy profile"


class AuditChainBroken(SekishoError):
    code = "audit_chain_broken"
    http_status = 500
    default_message = "the audit chain does not verify"


class LabelAboveCeiling(SekishoError):
    """CLS-09: a deployment may not hold information above the range it declares."""

    code = "label_above_ceiling"
    http_status = 422
    default_message = "the label is above what this deployment may handle"


class ExportErased(SekishoError):
    """読後廃棄 (Saitama 第1 2(2)イ(エ)): the export's package was crypto-erased after its first
    download or its deadline; the response names the erasure record."""

    code = "export_erased"
    http_status = 410
    default_message = "the export's package was crypto-erased"

    def __init__(self, message: str | None = None, *, erasure_id: str | None = None) -> None:
        super().__init__(message)
        self.erasure_id = erasure_id


class DeliveryMismatch(Conflict):
    """Ishikawa 第12(4): what the recipient received is not what was sent."""

    code = "delivery_mismatch"
    default_message = "the size or hash confirmed by the recipient differs from what was sent"
