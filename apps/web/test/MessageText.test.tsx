import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MessageText } from "../src/components/MessageText.tsx";
import { linkify } from "../src/lib/linkify.ts";

describe("linkify", () => {
  it("links http(s) and www URLs, leaving trailing punctuation out", () => {
    expect(linkify("see https://a.example/x, and www.b.example.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://a.example/x", href: "https://a.example/x" },
      { kind: "text", text: ", and " },
      { kind: "link", text: "www.b.example", href: "https://www.b.example/" },
      { kind: "text", text: "." },
    ]);
  });

  it("never links other schemes", () => {
    for (const text of ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd"]) {
      expect(linkify(text)).toEqual([{ kind: "text", text }]);
    }
  });
});

describe("<MessageText>", () => {
  it("renders markup as text, not HTML", () => {
    const { container } = render(<MessageText text={'<img src=x onerror="alert(1)"><b>hi</b>'} />);
    expect(container.querySelector("img, b")).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror="alert(1)"><b>hi</b>');
  });

  it("opens links in a new tab without an opener or referrer", () => {
    const { container } = render(<MessageText text="go to https://example.com/a?b=1 now" />);
    const link = container.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://example.com/a?b=1");
    expect(link?.getAttribute("rel")).toBe("noopener noreferrer");
    expect(link?.getAttribute("target")).toBe("_blank");
  });
});
