"""Expected failures, each printed as one line that names the next step."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

POLICY_FILE = "docs/participant-policy.json"
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
INVALID_CREDENTIAL_CODES = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId",
                            "SignatureDoesNotMatch", "InvalidSignatureException", "AuthFailure"}
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


class OperatorError(Exception):
    """Printed as `error: <message>`, no traceback; the command exits with status 1."""


def _login_hint(profile: str | None) -> str:
    return f"aws sso login --profile {profile}" if profile else "aws configure, aws sso login or AWS_PROFILE"


def translate(error: Exception, *, profile: str | None, region: str | None) -> OperatorError:
    """The one-line message for an AWS SDK failure: the known causes name the next step; any other
    still says which call failed and AWS's reason."""
    if isinstance(error, ProfileNotFound):
        return OperatorError(
            f"AWS profile {profile!r} not found in ~/.aws/config: check --profile (aws configure list-profiles)")
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return OperatorError(f"no AWS credentials found: set them up with {_login_hint(profile)}")
    if isinstance(error, (TokenRetrievalError, SSOTokenLoadError, UnauthorizedSSOTokenError)):
        return OperatorError(f"AWS credentials expired: refresh them with {_login_hint(profile)}")
    if isinstance(error, NoRegionError):
        return OperatorError("no AWS region: pass --region (e.g. --region eu-west-1) or set AWS_REGION")
    if isinstance(error, EndpointConnectionError):
        return OperatorError(f"cannot reach AWS in region {region!r}: check the region name (--region) and the network")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        operation = error.operation_name
        if code in EXPIRED_CODES:
            return OperatorError(f"AWS credentials expired: refresh them with {_login_hint(profile)}")
        if code in INVALID_CREDENTIAL_CODES:
            return OperatorError(
                f"AWS rejected the credentials ({code}) in region {region}: check them with "
                f"`aws sts get-caller-identity` and that the region is enabled for the account"
            )
        if code in DENIED_CODES:
            return OperatorError(f"access denied to {operation}: {message} (a participant needs {POLICY_FILE})")
        return OperatorError(f"AWS {operation} failed in region {region}: {code}: {message}")
    return OperatorError(f"AWS SDK error: {error}")
