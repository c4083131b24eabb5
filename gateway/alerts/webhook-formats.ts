import { createHmac } from "node:crypto";
import type { AlertEvent } from "../../protocol/index.ts";
import type { AlertText } from "./alert-messages.ts";

export type WebhookKind = "generic" | "wecom" | "dingtalk" | "feishu";

export interface WebhookTarget {
  kind: WebhookKind;
  url: string;
  secret?: string | undefined;
}

export interface WebhookRequest {
  url: string;
  body: unknown;
}

/**
 * WeCom (企业微信) group robot: POST the webhook URL with `{"msgtype":"markdown","markdown":{"content":…}}`;
 * the answer is `{"errcode":0,"errmsg":"ok"}` on success; at most 20 messages a minute per robot
 * (developer.work.weixin.qq.com/document/path/99110, 群机器人配置说明).
 */
function wecom(text: AlertText): unknown {
  return { msgtype: "markdown", markdown: { content: text.markdown } };
}

/**
 * DingTalk (钉钉) custom robot, 加签 security: sign = urlEncode(base64(HmacSHA256(key = secret,
 * message = timestamp + "\n" + secret))), timestamp in ms, appended as `&timestamp=…&sign=…`; the timestamp
 * must be within an hour of DingTalk's clock (open.dingtalk.com/document/robots/customize-robot-security-settings).
 * Body `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`; answer `{"errcode":0}`.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac("sha256", secret).update(`${timestampMs}\n${secret}`, "utf8").digest("base64");
}

function dingtalk(target: WebhookTarget, text: AlertText, nowMs: number): WebhookRequest {
  const body = {
    msgtype: "markdown",
    markdown: { title: text.title, text: text.markdown.replaceAll("\n", "\n\n") },
  };
  if (target.secret === undefined || target.secret === "") return { url: target.url, body };
  const sign = encodeURIComponent(dingtalkSign(target.secret, nowMs));
  const sep = target.url.includes("?") ? "&" : "?";
  return { url: `${target.url}${sep}timestamp=${nowMs}&sign=${sign}`, body };
}

/**
 * Feishu (飞书) custom bot, 签名校验: sign = base64(HmacSHA256(key = timestamp + "\n" + secret, message = "")),
 * timestamp in seconds, both in the body next to the message (open.feishu.cn/document/client-docs/bot-v3/
 * add-custom-bot, "Signature verification"; note the key/message order differs from DingTalk's).
 * Answer `{"code":0}` on success.
 */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac("sha256", `${timestampSec}\n${secret}`).update("").digest("base64");
}

function feishu(target: WebhookTarget, text: AlertText, nowMs: number): unknown {
  const message = { msg_type: "text", content: { text: text.plain } };
  if (target.secret === undefined || target.secret === "") return message;
  const timestamp = Math.floor(nowMs / 1000);
  return { timestamp: String(timestamp), sign: feishuSign(target.secret, timestamp), ...message };
}

/** Builds the request for one event on one webhook, signed at `nowMs` (each retry signs afresh). */
export function webhookRequest(
  target: WebhookTarget,
  e: AlertEvent,
  text: AlertText,
  nowMs: number,
): WebhookRequest {
  switch (target.kind) {
    case "wecom":
      return { url: target.url, body: wecom(text) };
    case "dingtalk":
      return dingtalk(target, text, nowMs);
    case "feishu":
      return { url: target.url, body: feishu(target, text, nowMs) };
    default:
      return { url: target.url, body: { ...e, title: text.title, text: text.plain } };
  }
}

/**
 * Whether a robot accepted the message: the robots answer HTTP 200 with an error code in the body
 * (`errcode` for WeCom and DingTalk, `code` or `StatusCode` for Feishu); anything else 2xx counts as accepted.
 */
export function accepted(status: number, body: unknown): { ok: boolean; error?: string } {
  if (status < 200 || status >= 300) return { ok: false, error: `HTTP ${status}` };
  if (typeof body !== "object" || body === null) return { ok: true };
  const b = body as Record<string, unknown>;
  const code = b.errcode ?? b.code ?? b.StatusCode;
  if (code === undefined || code === 0) return { ok: true };
  const msg = b.errmsg ?? b.msg ?? b.StatusMessage ?? "";
  return { ok: false, error: `robot error ${String(code)} ${String(msg)}`.trim() };
}
