// Network faults for a storage emulator's listener, as the S3 front has them: connections reset without an answer
// (the next N requests and/or for some seconds, after letting some through), a listener that refuses connections
// for some seconds, error answers in the service's own shape for the next N requests, and latency (requests wait
// before they are served). Also the front's request log: every request in arrival order with its outcome.

/**
 * `server` is the emulator's listening server (http or https); `errors` maps an HTTP status to a function
 * (req, res) that answers in the service's error shape. `intercept(req, res)` answers a faulted request and
 * returns true, or returns false to let the request through (`entry`, a request log entry, is marked with the fault).
 */
export function createFaults({ server, errors, name }) {
  let drop = null;
  let failure = null;
  let latency = null; // { ms, ...fault }
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
    intercept(req, res, entry) {
      if (applies(drop)) {
        // No response at all: the client sees the connection reset, as in a network outage.
        if (entry) entry.fault = 'dropped';
        req.socket.destroy();
        return true;
      }
      if (applies(failure, entry)) {
        if (entry) entry.fault = 'error';
        errors[failure.status](req, res);
        return true;
      }
      return false;
    },

    /**
     * Waits the injected latency, if it applies to this request; resolves false when the client went away meanwhile
     * (the request must then not be served: a killed client's request does nothing, as its bytes never all arrived).
     */
    async delay(req, entry) {
      if (!applies(latency)) return true;
      if (entry) entry.delayed_ms = latency.ms;
      await new Promise((resolve) => setTimeout(resolve, latency.ms));
      return !(req.destroyed || req.socket.destroyed);
    },

    /** Matching requests wait `ms` before they are served; without requests/seconds, until cleared. */
    delayRequests({ ms, requests, seconds, after }) {
      if (!(Number.isInteger(ms) && ms > 0 && ms <= 60000)) throw new Error('ms must be an integer in 1..60000');
      latency = { ...fault({ requests, seconds, after, unlimited: true }), ms };
    },

    /** Destroys the connection of matching requests without answering. */
    drop({ requests, seconds, after }) {
      drop = fault({ requests, seconds, after });
    },

    /** Answers matching requests with one of `errors`; with `operations`, only requests of those operations match (and count). */
    fail({ status, requests, after, operations }) {
      if (!errors[status]) throw new Error(`status must be one of ${Object.keys(errors).join(', ')}`);
      if (requests == null) throw new Error('requests is required');
      failure = { ...fault({ requests, after, operations }), status };
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
      latency = null;
      await reopen();
    },
  };
}

// A fault applies to requests (of its `operations`, when it names some: `entry` is the request log's description)
// after the first `after` ones it sees, to `remaining` of them or until `until`.
function applies(fault, entry) {
  if (!fault) return false;
  if (fault.operations && !fault.operations.includes(entry?.operation)) return false;
  if (fault.until !== undefined && Date.now() >= fault.until) return false;
  if (fault.after > 0) return (fault.after--, false);
  if (fault.remaining === undefined) return true;
  if (fault.remaining <= 0) return false;
  fault.remaining--;
  return true;
}

function fault({ requests, seconds, after, operations, unlimited = false }) {
  after ??= 0;
  requests ??= undefined;
  seconds ??= undefined;
  if (requests === undefined && seconds === undefined && !unlimited) throw new Error('requests or seconds is required');
  if (requests !== undefined && !(Number.isInteger(requests) && requests > 0)) throw new Error('requests must be a positive integer');
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0)) throw new Error('seconds must be positive');
  if (!(Number.isInteger(after) && after >= 0)) throw new Error('after must be a non-negative integer');
  if (operations != null && !(Array.isArray(operations) && operations.length > 0 && operations.every((o) => typeof o === 'string'))) {
    throw new Error('operations must be a non-empty list of operation names');
  }
  return { remaining: requests, until: seconds === undefined ? undefined : Date.now() + seconds * 1000, after, operations: operations ?? undefined };
}

/**
 * A front's request log: `record(entry, res)` appends an entry (the front's description of the request) and fills in
 * `status` when the answer is sent (it stays null for a dropped connection or an unanswered request) and `fault`
 * when one was injected. `list(filter)` keeps entries whose fields equal every given filter value.
 */
export function createRequestLog() {
  const entries = [];
  return {
    record(entry, res) {
      entries.push({ ...entry, at: new Date().toISOString(), status: null, fault: null });
      const recorded = entries[entries.length - 1];
      res.on('finish', () => (recorded.status = res.statusCode));
      return recorded;
    },
    list: (filter = {}) => entries.filter((e) => Object.entries(filter).every(([k, v]) => v === undefined || e[k] === v)),
    clear: () => void (entries.length = 0),
  };
}
