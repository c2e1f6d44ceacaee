import { fileURLToPath } from 'node:url';

/**
 * The dashboard's static files: the page (local/web/public) and its compiled scripts
 * (local/web/dist). This module sits at src/stack/ or dist/stack/, two levels under local/.
 */
export function webRoots(): { urlPrefix: string; directory: string }[] {
  const web = (path: string) => fileURLToPath(new URL(`../../web/${path}`, import.meta.url));
  return [
    { urlPrefix: '/js/', directory: web('dist') },
    { urlPrefix: '/', directory: web('public') },
  ];
}
