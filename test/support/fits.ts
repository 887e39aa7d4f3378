/**
 * What a user would see cut, wrapped or sticking out in a part of the editor (a dialog's tray, the help
 * sidebar), measured with the page's element geometry in the browser.
 */
import type { Page } from 'playwright-core';

/**
 * Every visible thing inside `container` (a CSS selector) that does not fit, each said in a line naming the
 * element and its text; empty when all fits. It finds:
 * - the container scrolling sideways, and anything (element or text) reaching past its left or right edge;
 * - an element whose content is wider than its box (cut when it clips, spilling over its neighbours when not);
 * - a placeholder or value wider than its input, an option of a select wider than the select shows;
 * - a label taking more than one line, and a form row whose parts do not fit on one line.
 * What a clipping element inside the container holds is judged against that element's own width, not the
 * container's edges; `ignore` (a selector) leaves out parts drawn by other libraries (a code editor).
 */
export function cutWrappedOrOverflowing(page: Page, container: string, ignore?: string): Promise<string[]> {
  return page.evaluate(
    ({ container, ignore }) => {
      const root = document.querySelector(container);
      if (!(root instanceof HTMLElement)) return [`${container} is not there`];
      const found: string[] = [];
      const describe = (element: Element): string => {
        const id = element.id !== '' ? `#${element.id}` : '';
        const classes = Array.from(element.classList, (name) => `.${name}`).join('');
        const forLabel = element.getAttribute('for');
        const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 60);
        return `${element.tagName.toLowerCase()}${id}${classes}${forLabel === null ? '' : `[for=${forLabel}]`}${text === '' ? '' : ` "${text}"`}`;
      };
      const rootBox = root.getBoundingClientRect();
      const left = rootBox.left + root.clientLeft;
      const right = left + root.clientWidth;
      if (root.scrollWidth > root.clientWidth + 1)
        found.push(`${container} scrolls sideways: ${root.scrollWidth} px of content in ${root.clientWidth} px`);

      const context = document.createElement('canvas').getContext('2d');
      const textWidth = (text: string, element: Element): number => {
        if (context === null) return 0;
        const style = getComputedStyle(element);
        context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        return context.measureText(text).width;
      };
      const contentWidth = (element: HTMLElement): number => {
        const style = getComputedStyle(element);
        return element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      };
      const shown = (element: Element): boolean =>
        element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
      const clips = (element: Element): boolean => getComputedStyle(element).overflowX !== 'visible';
      const ignored = (element: Element): boolean => ignore !== undefined && element.closest(ignore) !== null;
      /** Inside an element below the container that clips it: that element's own width is judged instead. */
      const clippedInside = (element: Element): boolean => {
        for (let parent = element.parentElement; parent !== null && parent !== root; parent = parent.parentElement)
          if (clips(parent)) return true;
        return false;
      };
      /** How many lines a box's text takes: the distinct tops of its line boxes. */
      const lines = (element: Element): number => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const tops = new Set<number>();
        for (const rect of Array.from(range.getClientRects())) if (rect.width > 0) tops.add(Math.round(rect.top));
        // Parts of one line differ in top by a few pixels (an icon, a smaller font): lines are a line-height apart.
        const sorted = [...tops].sort((a, b) => a - b);
        const lineHeight = parseFloat(getComputedStyle(element).lineHeight) || 16;
        return sorted.filter((top, i) => i === 0 || top - (sorted[i - 1] as number) >= lineHeight / 2).length;
      };

      for (const element of Array.from(root.querySelectorAll('*'))) {
        if (!(element instanceof HTMLElement) || !shown(element) || ignored(element)) continue;
        if (element.closest('input, select') !== element && element.closest('input, select') !== null) continue;
        if (!clippedInside(element)) {
          const box = element.getBoundingClientRect();
          if (box.width > 0 && (box.right > right + 0.5 || box.left < left - 0.5))
            found.push(
              `${describe(element)} reaches past the edge (${Math.round(box.left - left)} to ${Math.round(box.right - left)} px of ${root.clientWidth})`,
            );
          for (const node of Array.from(element.childNodes)) {
            if (node.nodeType !== Node.TEXT_NODE || (node.textContent ?? '').trim() === '') continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const outside = Array.from(range.getClientRects()).some((rect) => rect.right > right + 0.5 || rect.left < left - 0.5);
            if (outside) found.push(`the text "${(node.textContent ?? '').trim().slice(0, 60)}" reaches past the edge`);
          }
        }
        const display = getComputedStyle(element).display;
        if (display !== 'inline' && element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1)
          found.push(
            `${describe(element)} ${clips(element) ? 'is cut' : 'spills out of its box'}: ${element.scrollWidth} px of content in ${element.clientWidth} px`,
          );
        if (element instanceof HTMLInputElement && !['checkbox', 'radio', 'hidden', 'button'].includes(element.type)) {
          const text = element.value === '' ? element.placeholder : element.value;
          const what = element.value === '' ? 'placeholder' : 'value';
          if (textWidth(text, element) > contentWidth(element) + 0.5)
            found.push(
              `${describe(element)}: its ${what} "${text}" is cut (${Math.round(textWidth(text, element))} px in ${contentWidth(element)} px)`,
            );
        }
        if (element instanceof HTMLSelectElement) {
          // The select's arrow takes about 20 px of its right side, beside its padding.
          const room = contentWidth(element) - 20;
          for (const option of Array.from(element.options)) {
            if (option.style.display === 'none') continue;
            if (textWidth(option.text, element) > room + 0.5)
              found.push(
                `${describe(element)}: the option "${option.text}" is cut (${Math.round(textWidth(option.text, element))} px in ${room} px)`,
              );
          }
        }
        if (element instanceof HTMLLabelElement && lines(element) > 1)
          found.push(`${describe(element)} takes ${lines(element)} lines`);
        if (element.classList.contains('form-row')) {
          // Its parts, elements and bare text (a unit after an input), each on the row's first line and on one line.
          const parts = Array.from(element.childNodes).filter((child) =>
            child instanceof Element
              ? shown(child) && !['block', 'flex', 'grid', 'table'].includes(getComputedStyle(child).display)
              : child.nodeType === Node.TEXT_NODE && (child.textContent ?? '').trim() !== '',
          );
          const boxOf = (part: ChildNode): DOMRect => {
            if (part instanceof Element) return part.getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(part);
            return range.getBoundingClientRect();
          };
          const name = (part: ChildNode): string =>
            part instanceof Element ? describe(part) : `the text "${(part.textContent ?? '').trim()}"`;
          const first = parts[0] === undefined ? undefined : boxOf(parts[0]);
          for (const part of parts.slice(1)) {
            if (first !== undefined && boxOf(part).top >= first.bottom - 1)
              found.push(`${name(part)} goes onto another line of its row`);
          }
          for (const part of parts) {
            // Labels are counted above, wherever they are.
            if (part instanceof Element && !(part instanceof HTMLLabelElement) && lines(part) > 1)
              found.push(`${name(part)} takes ${lines(part)} lines`);
          }
        }
      }
      return found;
    },
    { container, ignore },
  );
}
