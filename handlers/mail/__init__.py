"""E-mail (message/rfc822): see handlers/mail/handler.py."""

from handlers.mail.handler import MailHandler

__all__ = ["MailHandler"]
