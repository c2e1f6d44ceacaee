/** Where and when a device message reached the broker: what a rule error names it by. */
export interface MessageArrival {
  topic: string;
  /** The MQTT client id; the thing policy makes it the certificate's thing name. */
  clientId: string;
  arrivedAt: Date;
}
