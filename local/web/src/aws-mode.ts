// The page as CloudFront serves it: signed in through the Cognito hosted UI, reading the HTTP API
// on another origin with the access token, polling the snapshot (no event stream behind API
// Gateway), photos through presigned links, and no Brew buttons.
import { DashboardRequestError, fetchPhotoLink, fetchSnapshot } from './api-client.js';
import { AuthSession, SignInRequiredError } from './auth-session.js';
import { type AwsConfig, apiUrlFor } from './aws-config.js';
import { type DashboardMode, DashboardPage, type HeaderElements, headerElements } from './dashboard-page.js';
import { el } from './dom.js';
import { logoutUrl, readCallback, withoutCallback } from './oauth-urls.js';
import { PhotoLinkCache, parsePhotoLink } from './photo-link-cache.js';
import { type PollStatus, pollStateText, SnapshotPoller } from './snapshot-poller.js';
import { showNotice, showPollState } from './view-header.js';

/**
 * Signs in (or finishes signing in) and returns the running page, or null when the page has
 * navigated away to sign in or is waiting for the user to press "sign in".
 */
export async function awsMode(config: AwsConfig): Promise<DashboardMode | null> {
  const header = headerElements();
  const session = new AuthSession({
    config,
    // Per tab and gone with it: a token in localStorage would outlive the tab for any script to read.
    storage: window.sessionStorage,
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
  });

  const callback = readCallback(window.location.href);
  if (callback !== null) {
    // At once, before the exchange: a reload must not send the used code again.
    window.history.replaceState(window.history.state, '', withoutCallback(window.location.href));
    try {
      await session.completeSignIn(callback);
    } catch (error) {
      if (!session.hasTokens()) {
        // Not sent back to sign in automatically: the same failure would come back in a loop.
        console.error(error);
        showNotice(header.notice, messageOf(error));
        await offerSignIn(header, session);
        return null;
      }
      // e.g. Back to a page whose code was already used, while signed in: carry on.
      console.warn('ignored a stale sign-in answer', error);
    }
  } else if (!session.hasTokens()) {
    if (session.signedOut()) {
      await offerSignIn(header, session);
      return null;
    }
    showPollState(header.connectionState, 'signing in…', false);
    window.location.assign(await session.signInUrl());
    return null;
  }
  return signedIn(config, session, header);
}

function signedIn(config: AwsConfig, session: AuthSession, header: HeaderElements): DashboardMode {
  const authorizedFetch = (url: string, init?: RequestInit) => session.fetch(url, init);
  const status: PollStatus = { lastSuccessMs: null, failing: false };
  const showStatus = () =>
    showPollState(
      header.connectionState,
      pollStateText(status, Date.now()),
      !status.failing && status.lastSuccessMs !== null,
    );

  let leaving = false;
  /** The sign-in lapsed for good (the refresh token too): sign in again, once. */
  const signInAgain = (error: SignInRequiredError) => {
    if (leaving) return;
    leaving = true;
    console.warn(error);
    mode.stop();
    showPollState(header.connectionState, 'signing in…', false);
    void session.signInUrl().then((url) => window.location.assign(url));
  };

  const photoLinks = new PhotoLinkCache({
    load: async (photoUrl) =>
      parsePhotoLink(await fetchPhotoLink(authorizedFetch, apiUrlFor(config, photoUrl))),
    // The links' expiry is on the server's clock; the snapshot tells how far off this one is.
    now: () => page.serverNow(),
  });
  const page = new DashboardPage({
    brew: null,
    showPhoto: (img, photoUrl) => {
      photoLinks.urlFor(photoUrl).then(
        (url) => {
          img.src = url;
        },
        (error: unknown) => {
          if (error instanceof SignInRequiredError) return signInAgain(error);
          console.warn('could not get a photo link', photoUrl, error);
          img.replaceWith(
            el('div', {
              class: 'photo photo-deleted',
              text: 'photo unavailable',
              attrs: { title: messageOf(error) },
            }),
          );
        },
      );
    },
    emptyCoffeesText: 'No coffees yet.',
    onTick: showStatus,
  });

  const poller = new SnapshotPoller(
    {
      fetchSnapshot: () => fetchSnapshot(authorizedFetch, apiUrlFor(config, '/api/snapshot')),
      setTimer: (callback, ms) => window.setTimeout(callback, ms),
      clearTimer: (handle) => window.clearTimeout(handle),
    },
    {
      onSnapshot: (snapshot) => {
        status.lastSuccessMs = Date.now();
        status.failing = false;
        page.showSnapshot(snapshot);
        showNotice(header.notice, null);
        showStatus();
      },
      onFailure: (error) => {
        if (error instanceof SignInRequiredError) return signInAgain(error);
        console.warn('could not load the dashboard snapshot', error);
        status.failing = true;
        showStatus();
        showNotice(header.notice, `could not load the dashboard: ${messageOf(error)}; trying again shortly`);
      },
    },
  );

  header.accountLink.textContent = 'sign out';
  header.accountLink.href = logoutUrl(config);
  header.accountLink.hidden = false;
  header.accountLink.addEventListener('click', (event) => {
    event.preventDefault();
    leaving = true;
    mode.stop();
    const { logoutUrl, revoked } = session.signOut();
    revoked.catch((error: unknown) => console.warn(error));
    window.location.assign(logoutUrl);
  });

  // A hidden tab stops asking (each poll costs a Lambda run and a database read) and catches up at
  // once when shown again.
  const onVisibility = () => {
    if (leaving) return;
    if (document.hidden) poller.stop();
    else poller.start();
  };

  const mode: DashboardMode = {
    start: () => {
      if (leaving) return;
      page.start();
      if (!document.hidden) poller.start();
      document.addEventListener('visibilitychange', onVisibility);
    },
    stop: () => {
      document.removeEventListener('visibilitychange', onVisibility);
      poller.stop();
      page.stop();
    },
  };
  showStatus();
  return mode;
}

/** Shows "signed out" and a sign-in link that starts a fresh PKCE request. */
async function offerSignIn(header: HeaderElements, session: AuthSession): Promise<void> {
  showPollState(header.connectionState, 'signed out', false);
  header.accountLink.textContent = 'sign in';
  header.accountLink.href = await session.signInUrl();
  header.accountLink.hidden = false;
}

function messageOf(error: unknown): string {
  // Still 401 after a renewed token: the API does not take this pool's tokens (a deploy problem).
  if (error instanceof DashboardRequestError && error.status === 401) {
    return `the API refused the sign-in token (${error.message})`;
  }
  return error instanceof Error ? error.message : String(error);
}
