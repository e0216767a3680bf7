import logging
import os

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

SLACK_CHANNEL = os.getenv("DEPLOY_CHANNEL", "#deploys")
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")


class DeployNotifier:
    def __init__(self, token=SLACK_BOT_TOKEN, channel=SLACK_CHANNEL):
        self.client = WebClient(token=token)
        self.channel = channel

    def announce(self, service, version, author):
        text = f":rocket: {service} {version} deployed by {author}"
        try:
            self.client.chat_postMessage(channel=self.channel, text=text)
        except SlackApiError as err:
            logger.warning("slack post failed: %s", err.response["error"])
            return False
        return True


def notify_from_ci():
    notifier = DeployNotifier()
    return notifier.announce(
        os.environ.get("CI_PROJECT_NAME", "unknown"),
        os.environ.get("CI_COMMIT_TAG", "dev"),
        os.environ.get("GITLAB_USER_LOGIN", "ci"),
    )
