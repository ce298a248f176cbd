"""POST signed JSON to webhooks when queuectl jobs succeed, fail or die."""
