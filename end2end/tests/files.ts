/** Files the attachment specs upload: small real PNGs (drawn by a script, so the server's
 * decoder and thumbnailer get genuine images), a PDF and helpers that build `File`s in the page. */
import { expect, type CDPSession, type JSHandle, type Locator, type Page } from '@playwright/test';
import { messageList } from './helpers';

/** A 480 x 320 sunset over the sea. */
export const SUNSET_PNG = Buffer.from(
  [
    'iVBORw0KGgoAAAANSUhEUgAAAeAAAAFACAIAAADrqjgsAAAGNElEQVR42u3coW4bQRiFUT9OYWGgoWGgoWFg4MKFhgsNFy40',
    'NAwMDCwsLAwMrFurURopaZ3Y1p2ZI50nmLv6ZPDLs2V3D0Cg2bK7AyCQQAMINAACDSDQAAg0gEADINAAvB3oVXcHQCCBBhBo',
    'AI4M9A6AQAININAACDSAQAMg0ACtBfqm2wEQSKABBBoAgQYQaADOGOgtAIEEGkCgARBogCoC3W8BCDS77bcABBJoAIEGQKAB',
    'BBoAgQYQaABCAj0BEEigAQQagKMC3fUTAIEEGkCgARBoAIEGQKABBBoAgQbgvUCPAASa9f0IQCCBBhBoAAQaQKABEGgAgQYg',
    'I9DrEYBAAg0g0AAcFej1egQg0D7QGwACCTSAQAMg0AACDYBAAwg0AAINgEADFBfoYb0BIJBAA+QGegAgkEADCDQAAg0g0AAI',
    'NIBAAxAR6M16ACCQQAMINAACDVBFoIcBgEAz/0cCkEmgAQQaAIEGEGgAzhbocVgDEEigAQQaAIEGEGgABBqgvUD3AAQSaACB',
    'BkCgAWoI9DT0AAQSaACBBkCgAQQaAIEGEGgAQgLdARBIoAFSA70dOgACCTRAbKA3HQCBBBpAoAEQaACBBkCgAQQaAIEG4O1A',
    '7za3AAQSaACBBkCgAQQaAIEGEGgABBoAgQYoLtB3m1sAAgk0QG6gb4Bze3roPsbTtUygIS7KYo1AQxldVmqBBgpIs0wLNBCd',
    'ZpkWaCA6zTIt0EB0mmVaoIH0Omt0hYG+H2+Ao8TW+cBA1RBoqCfNMi3QoM4ajUCDOmt024FeAe8rtM5/Gm3BUgk01FxnjRZo',
    'UGeNRqBBnTVaoEGd62NWgQaBFmhOEeiHcQW8UmWdD4xbEIGGhuqs0QIN6qzRCDQItEALNKizRnP5QC+Bg8YCbfF0Ag0t1lmj',
    'BRoEWqARaFBnja4v0N/GJdBsoE2fTKCh3TprtECDQAs0Ag0CLdACDeqs0Qg0CLRACzQItECTFehpCS1T51+B9iVE2gf6Gpol',
    'zS8a7XuII9AINAKdGujv0zU0S5ef+RgCCTQCjUALNAi0QCPQINACLdAg0AKNQINAC7RAg0ALNAINAi3QCDQItEAXGOgFNEuX',
    'XwTa9xBn9mNaQLN0+ZmPIZBAI9AItECDQAs0Ag0CLdACDQIt0Ag0CLRACzQItEAj0KDR6oxAg0ALdHGBfpwW0DJ13vMZZNoH',
    'eg4tU+ffgfYlJBJomKszAg0CLdAINAi0QNcQ6O0caLfO1g8m0CDQCDRotDoj0CDQAi3QoNHqzNkC/bT/KIGDpn5BmzueQEOT',
    'jTa0QINACzSfCfQV8Jf662zlMgg0NNZo4wo0aLQ6I9Ag0AIt0KDR6swlAz2/2QEQSKABBBoAgQYQaCje467DZyDQINACjUCD',
    'QAu0QINGqzMCDQIt0AINAi3QCDQAAg0g0ACcKNBbAAIJNIBAAyDQ8AFNHtjZXaBBo9UZgQaBFuiKAr3aAgdtBdri8QQaWmy0',
    'oQUaBFqgEWgAgQZAoAHaDvTVagtAIIEGEGgABBo+qeIDO+OWFegJeKXqQNu3GAINDTXarAINAi3QCDQItEALNAi0QCPQAAg0',
    'gEADINAAAg2AQAMINFDhvZ0RBRoEWqARaBBogW4i0MsJeEcNgbZjmQQaKm+0+YoO9Ai8r/BAW7BUAg0g0AAINIBAAyDQAAIN',
    'gECDYzsHdgg0CDQCDRqtzgg0CLRACzQg0Fw+0F+XI/D/iqizmeog0AACDYBAA9QR6A0AgQQaQKABEGg4t+ADO+sINAi0QCPQ',
    'INAC3WqgrzfAByTW2S51EWgQaAQaBFqgEWgAgQZAoAEEGgCBBkCgAQQaHNs5sONUgR6AzwiosxXqJNAg0Ag0CLRAI9DQTqM9',
    'vkADAo1AAyDQAAINgEADCDQAAg0g0EA5x3YevP5Af7kegJO4cKA9ePUEGopstKduI9CLATiVywXaazdAoEGgyQ30GjiVCwba',
    'a9dPoAEEGgCBBhBoAAQaQKABEGhwb+e6DoEGgUagAYFGoEGgEWggoNGeVKABgUagARBoAIEG4GSB7gEIJNAAAg2AQEOOEx3Y',
    'eUmBBgQagQaNVmf+Feh5D5zVZwPtDVsl0CDQCDRotDoj0AACDcC5/ARalVLNc7sMMAAAAABJRU5ErkJggg==',
  ].join(''),
  'base64',
);

/** A 200 x 400 portrait of green hills. */
export const TALL_PNG = Buffer.from(
  [
    'iVBORw0KGgoAAAANSUhEUgAAAMgAAAGQCAIAAABkkLjnAAADrUlEQVR42u3ZsVEDQRBE0Q7ngrhgMDExMTEVAbFgYhKOQgCL',
    'CBauZ/WqXgDS7K87aTa3jzssFyNAWAgLYYGwEBbCAmEhLIQFwkJYCAuEhbAQFggLYSEsWBHW5x2WExbCQlgIyxQQFsJCWCAs',
    'hIWwQFgIC2GBsBAWwgJhISyEBcJCWAgLhIWwEBYIC2EhLBAWwkJYICyEhbBAWAgLYYGwEBbCAmEhLIQFwkJYCAuEhbAQFggL',
    'YSEsEBbCQlggLISFsEBYCAthgbAQFsICYSEshAXCQlgIC4SFsBAWCAthISwQFsJCWPAb1tcdlhMWwkJYCMsUEBbCQlggLISF',
    'sEBYCAthgbAQFsICYSEshAXCQlgIC4SFsBAWCAthISwQFsJCWCAshIWwQFgIC2GBsBAWwgJhISyEBcJCWAgLhIWwEBYIC2Eh',
    'LBAWwkJYICyEhbBAWPx/WMftfP+6P4Kfb/pQrp12Gj6EqvZrKyWBC2uzttLz8FTVTm2l6sWsqm3aStuPPlXt0dbOYYmpK6w9',
    '2lLStceazi2Iqqa3ldoNm7BGt5Xm7a2q5raV8psBVQ1tK+U3A6oa2lbKbwZUNbStNG9vVTW3rTQv2VQ1t62UL3BVNbStHN0L',
    'XFUNbSvNSzZVzW0rzUs2Vc1tK81LNlXNbStH8ZJNUnPbSu0iRFWj20rzLkRVc/NK8y5EUnPbSvk6xLkOzSu1fyuc5ei8UvgU',
    'dX4b5JWezB3YTnnFgPgLOd5OWE5YCAthISxTQFgIC2GBsBAWwgJhISyEBcJCWAgLhIWwEBYIC2EhLBAWwkJYICyEhbBAWAgL',
    'YYGwEBbCAmEhLIQFwkJYCAuEhbAQFggLYSEsEBYXh/V6wnLCQlgIC2GZAsJCWAgLhIWwEBYIC2EhLBAWwkJYICyEhbBAWAgL',
    'YYGwEBbCAmEhLIQFwkJYCAuEhbAQFggLYSEsEBbCQlggLISFsEBYCAthgbC4OKyXE5YTFsJCWAjLFBAWwkJYICyEhbBAWAgL',
    'YYGwEBbCAmEhLIQFwkJYCAuEhbAQFggLYSEsEBbCQlggLISFsEBYCAthgbAQFsICYSEshAXCQlgIC4TFxWE9n7CcsBAWwkJY',
    'poCwEBbCAmEhLIQFwkJYCAuEhbAQFggLYSEsEBbCQlggLISFsEBYCAthgbAQFsICYSEshAXCQlgIC4SFsBAWCAthISwQFsJC',
    'WCAsLg7r6YTlhIWwEBbCMgWEhbAQFggLYSEsEBbCQlggLISFsEBYFPsGVAqltn9b96QAAAAASUVORK5CYII=',
  ].join(''),
  'base64',
);

/** A 96 x 96 chequered tile, as a pasted screenshot. */
export const PASTED_PNG = Buffer.from(
  [
    'iVBORw0KGgoAAAANSUhEUgAAAGAAAABgCAIAAABt+uBvAAABbklEQVR42u3Q0RBAIRRAwYcQQggXIYQQQgghhBBC6CPAJ9AR',
    'aM7MEuz3fecqgQwCFFBBAx0MMMECG3wGGWSQQQYZZNC7QelcJZBBgAIqaKCDASZYYAODDDLIIIMMMujhoHyuEsggQAEVNNDB',
    'ABMssIFBBhlkkEEGGfRwUJyrBDIIUEAFDXQwwAQLbGCQQQYZZJBBBj0cVM5VAhkEKKCCBjoYYIIFNjDIIIMMMsgggx4Oqucq',
    'gQwCFFBBAx0MMMECGxhkkEEGGWSQQQ8HtXOVQAYBCqiggQ4GmGCBDQwyyCCDDDLIoIeD+rlKIIMABVTQQAcDTLDABgYZZJBB',
    'Bhlk0MNB41wlkEGAAipooIMBJlhgA4MMMsgggwwy6OGgea4SyCBAARU00MEAEyywgUEGGWSQQQYZ9HDQOlcJZBCggAoa6GCA',
    'CRbYwCCDDDLIIIMMejhon6sEMghQQAUNdDDABAtsYJBBBhlkkEEGPRv0AyGTEu+mYKmTAAAAAElFTkSuQmCC',
  ].join(''),
  'base64',
);
/** A minimal PDF: the server sniffs `%PDF` and serves it as a download. */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

/** A zip archive holding one small text file (`PK\x03\x04` is what sniffers look for). */
export const ZIP = Buffer.from(
  'UEsDBBQAAAAAACaefl07ucKtEgAAABIAAAAJAAAAbm90ZXMudHh0QWdlbmRhOiBzaGlwIGZpbGVzUEsBAhQDFAAAAAAA' +
    'Jp5+XTu5wq0SAAAAEgAAAAkAAAAAAAAAAAAAAIABAAAAAG5vdGVzLnR4dFBLBQYAAAAAAQABADcAAAA5AAAAAAA=',
  'base64',
);

/** `size` bytes that nothing on the way compresses. */
export function noise(size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export type FilePayload = { name: string; mimeType: string; buffer: Buffer };

export const png = (name: string, buffer: Buffer): FilePayload => ({ name, mimeType: 'image/png', buffer });

/** A `DataTransfer` holding `files`, made in the page (for drops and pastes). */
export async function dataTransfer(page: Page, files: FilePayload[]): Promise<JSHandle<DataTransfer>> {
  const plain = files.map((f) => ({ name: f.name, type: f.mimeType, base64: f.buffer.toString('base64') }));
  return page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, plain);
}

/** Drags `files` onto `target` (enter and over); `drop` lets them go. */
export async function dragFiles(page: Page, target: Locator, files: FilePayload[]) {
  const dt = await dataTransfer(page, files);
  await target.dispatchEvent('dragenter', { dataTransfer: dt });
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  return { drop: () => target.dispatchEvent('drop', { dataTransfer: dt }) };
}

/** Pastes `files` into `target` as the clipboard would; true when the page took them. */
export async function pasteFiles(page: Page, target: Locator, files: FilePayload[]): Promise<boolean> {
  const dt = await dataTransfer(page, files);
  return target.evaluate((el, dt) => {
    const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(ev);
    return ev.defaultPrevented;
  }, dt);
}

/** Slows the page's uploads to `bytesPerSecond` (Chrome's network emulation). */
export async function throttleUploads(page: Page, bytesPerSecond: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return cdp;
}

export async function unthrottle(cdp: CDPSession): Promise<void> {
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  await cdp.detach();
}

export const attachButton = (page: Page) => page.getByRole('button', { name: 'Attach files', exact: true });

export const tray = (page: Page) => page.getByRole('list', { name: 'Files to send', exact: true });

export const trayItem = (page: Page, name: string) => tray(page).getByRole('listitem').filter({ hasText: name });

/**
 * The next file picker `page` opens, for a picker opened from the keyboard: call it before
 * the steps that move the focus, not right before the key press. Playwright turns on its
 * interception of pickers when the first listener is added, without waiting for it; a
 * `keyboard.press` sent at once can reach the page first, and the picker then opens
 * unseen (headless) and no event comes: 5 failures in 12 runs of the keyboard attachment
 * test without tracing, 0 in 12 with it armed early. A `click()` first waits for its
 * actionability checks, and has not lost that race in any run here.
 */
export const armChooser = (page: Page) => page.waitForEvent('filechooser');

/** Chooses `files` with the paperclip and the browser's file picker. */
export async function attachByButton(page: Page, files: FilePayload[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await attachButton(page).click();
  await (await chooser).setFiles(files);
}

/** Waits until `name` is stored on the server (its tray item says done). */
export async function uploaded(page: Page, name: string): Promise<void> {
  await expect(trayItem(page, name)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
}

/** A picture in a message, with its thumbnail loaded. */
export async function expectThumbnailLoaded(image: Locator): Promise<void> {
  await expect(image).toBeVisible();
  await image.scrollIntoViewIfNeeded();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
}

/** The download card of `name` in `scope`. */
export const downloadCard = (scope: Page | Locator, name: string) =>
  scope.getByRole('link', { name: new RegExp(`^Download ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, `) });

/**
 * The bubble whose text (or file names) contains `text`. Not `helpers.bubble`: a bubble's
 * download cards are list items of their own.
 */
export const fileBubble = (page: Page, text: string) =>
  messageList(page).locator(':scope > li.bubble').filter({ hasText: text });
