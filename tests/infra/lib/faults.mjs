// Network faults for a storage emulator's listener, as the S3 front has them: connections reset without an answer
// (the next N requests and/or for some seconds, after letting some through), a listener that refuses connections
// for some seconds, and error answers in the service's own shape for the next N requests.

/**
 * `server` is the emulator's listening server (http or https); `errors` maps an HTTP status to a function
 * (req, res) that answers in the service's error shape. `intercept(req, res)` answers a faulted request and
 * returns true, or returns false to let the request through.
 */
export function createFaults({ server, errors, name }) {
  let drop = null;
  let failure = null;
  let refusal = null; // timer while the listener is closed
  const port = server.address().port;

  const reopen = () =>
    new Promise((resolve) => {
      if (!refusal) return resolve();
      clearTimeout(refusal);
      refusal = null;
      server.once('error', (err) => process.stderr.write(`test-cloud: ${name} could not listen again on ${port}: ${err}\n`));
      server.listen(port, '127.0.0.1', resolve);
    });

  return {
    intercept(req, res) {
      if (applies(drop)) {
        // No response at all: the client sees the connection reset, as in a network outage.
        req.socket.destroy();
        return true;
      }
      if (applies(failure)) {
        errors[failure.status](req, res);
        return true;
      }
      return false;
    },

    /** Destroys the connection of matching requests without answering. */
    drop({ requests, seconds, after }) {
      drop = fault({ requests, seconds, after });
    },

    /** Answers matching requests with one of `errors`. */
    fail({ status, requests, after }) {
      if (!errors[status]) throw new Error(`status must be one of ${Object.keys(errors).join(', ')}`);
      if (requests == null) throw new Error('requests is required');
      failure = { ...fault({ requests, after }), status };
    },

    /** Closes the listener (and every open connection) so that connecting is refused, then listens again. */
    async refuse({ seconds }) {
      if (typeof seconds !== 'number' || seconds <= 0 || seconds > 600) throw new Error('seconds must be in (0, 600]');
      if (!refusal) {
        const closed = new Promise((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      } else {
        clearTimeout(refusal);
      }
      refusal = setTimeout(reopen, seconds * 1000);
    },

    async clear() {
      drop = null;
      failure = null;
      await reopen();
    },
  };
}

// A fault applies to requests after the first `after` ones it sees, to `remaining` of them or until `until`.
function applies(fault) {
  if (!fault) return false;
  if (fault.until !== undefined && Date.now() >= fault.until) return false;
  if (fault.after > 0) return (fault.after--, false);
  if (fault.remaining === undefined) return true;
  if (fault.remaining <= 0) return false;
  fault.remaining--;
  return true;
}

function fault({ requests, seconds, after }) {
  after ??= 0;
  requests ??= undefined;
  seconds ??= undefined;
  if (requests === undefined && seconds === undefined) throw new Error('requests or seconds is required');
  if (requests !== undefined && !(Number.isInteger(requests) && requests > 0)) throw new Error('requests must be a positive integer');
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0)) throw new Error('seconds must be positive');
  if (!(Number.isInteger(after) && after >= 0)) throw new Error('after must be a non-negative integer');
  return { remaining: requests, until: seconds === undefined ? undefined : Date.now() + seconds * 1000, after };
}
