import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { EmpowerIDError } from '../errors.js';

/** body-parser's `type` values, mapped to our status and the cause named to the user. */
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'the request body is too large'],
  'parameters.too.many': [413, 'the request body has too many parameters'],
  'charset.unsupported': [415, 'the request body uses an unsupported charset (send UTF-8)'],
  'encoding.unsupported': [415, 'the request body uses an unsupported content encoding'],
  'entity.parse.failed': [400, 'the request body is not a valid form'],
  'request.aborted': [400, 'the request body was not received completely'],
  'request.size.invalid': [400, 'the request body does not match its Content-Length'],
  'stream.encoding.set': [500, 'the request body stream was already read'],
};

/**
 * An `application/x-www-form-urlencoded` parser for the library's own POST routes. Every failure
 * (too large, wrong charset or encoding, another media type, a broken stream) becomes an
 * {@link EmpowerIDError} `ERR_BODY_INVALID` with status 400, 413 or 415, answered like any other
 * error of the router: body-parser's own errors would reach Express's final handler, which prints
 * a stack trace outside production.
 */
export function formBody(limit: string): RequestHandler[] {
  const parse = express.urlencoded({ extended: false, limit, parameterLimit: 1000 });
  const checkType = (req: Request, _res: Response, next: NextFunction) => {
    // No body at all (`req.is` is null, or an explicit empty one): the route reports what is missing.
    const type = req.headers['content-length'] === '0' ? null : req.is('application/x-www-form-urlencoded');
    if (type !== false) {
      next();
      return;
    }
    next(new EmpowerIDError('ERR_BODY_INVALID', 'empowerid: the request body must be application/x-www-form-urlencoded', { status: 415 }));
  };
  const parseMapped = (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (err === undefined || err === null) {
        next();
        return;
      }
      const type = (err as { type?: unknown }).type;
      const [status, message] = (typeof type === 'string' && BODY_ERRORS[type]) || [400, 'the request body could not be read'];
      next(new EmpowerIDError('ERR_BODY_INVALID', `empowerid: ${message}`, { status, cause: err }));
    });
  };
  return [checkType, parseMapped];
}
