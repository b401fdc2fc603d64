/** The one JSON shape of every error the API answers. */
export interface ErrorBody {
  error: string;
  code: string;
  details?: unknown;
}
