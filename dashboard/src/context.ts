import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Principal } from "./api.ts";
import { type Lang, type MessageKey, translate } from "./i18n.ts";

export interface Ctx {
  lang: Lang;
  t: (key: MessageKey | string) => string;
  principal: Principal;
}

export const AppContext = createContext<Ctx>({
  lang: "zh-CN",
  t: (key) => translate("zh-CN", key),
  principal: { name: "", role: "bureau" },
});

export const useApp = (): Ctx => useContext(AppContext);
