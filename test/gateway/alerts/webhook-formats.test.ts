import { describe, expect, it } from "vitest";
import {
  accepted,
  dingtalkSign,
  feishuSign,
  webhookRequest,
} from "../../../gateway/alerts/webhook-formats.ts";
import type { AlertEvent } from "../../../protocol/index.ts";

const text = {
  title: "【停机告警】P · L",
  markdown: "**【停机告警】P · L**\n> 工厂：P",
  plain: "【停机告警】P · L\n工厂：P",
};
const event = { v: 1, event: "raised", ts: 0, alert: { id: "a1" } } as unknown as AlertEvent;

describe("robot webhook formats", () => {
  it("WeCom: markdown msgtype", () => {
    expect(webhookRequest({ kind: "wecom", url: "http://h/send?key=K" }, event, text, 0)).toEqual({
      url: "http://h/send?key=K",
      body: { msgtype: "markdown", markdown: { content: text.markdown } },
    });
  });

  it("DingTalk: HmacSHA256(secret, ts+\\n+secret), base64 then URL-encoded, on the URL", () => {
    // Reference value computed with the Python sample of DingTalk's docs (hmac.new(secret, f"{ts}\n{secret}")).
    expect(dingtalkSign("SECtest", 1_600_000_000_000)).toBe(
      Buffer.from(
        require("node:crypto").createHmac("sha256", "SECtest").update("1600000000000\nSECtest").digest(),
      ).toString("base64"),
    );
    const req = webhookRequest(
      { kind: "dingtalk", url: "http://h/robot/send?access_token=T", secret: "SECtest" },
      event,
      text,
      1_600_000_000_000,
    );
    expect(req.url).toBe(
      `http://h/robot/send?access_token=T&timestamp=1600000000000&sign=${encodeURIComponent(dingtalkSign("SECtest", 1_600_000_000_000))}`,
    );
    expect(req.body).toMatchObject({ msgtype: "markdown", markdown: { title: text.title } });
  });

  it("Feishu: HmacSHA256 keyed by ts+\\n+secret over an empty message, in the body with the seconds timestamp", () => {
    const req = webhookRequest(
      { kind: "feishu", url: "http://h/hook/x", secret: "s3" },
      event,
      text,
      1_600_000_000_999,
    );
    const { createHmac } = require("node:crypto");
    const sign = createHmac("sha256", "1600000000\ns3").update("").digest("base64");
    expect(feishuSign("s3", 1_600_000_000)).toBe(sign);
    expect(req.body).toEqual({
      timestamp: "1600000000",
      sign,
      msg_type: "text",
      content: { text: text.plain },
    });
  });

  it("treats a robot's error code in an HTTP 200 as a failure", () => {
    expect(accepted(200, { errcode: 0, errmsg: "ok" })).toEqual({ ok: true });
    expect(accepted(200, { errcode: 93000, errmsg: "invalid webhook url" }).ok).toBe(false);
    expect(accepted(200, { code: 19021, msg: "sign match fail" }).ok).toBe(false);
    expect(accepted(502, null).ok).toBe(false);
  });
});
