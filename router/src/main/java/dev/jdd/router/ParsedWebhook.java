package dev.jdd.router;

import java.util.List;

/** What a webhook body says: its format and the distinct targets of its firing alerts (duplicates collapsed). */
public record ParsedWebhook(WebhookFormat format, List<AlertTarget> targets) {
}
