// Node has no EventSource of its own (without a flag): the `eventsource` package is one.
export { EventSource } from 'eventsource';
