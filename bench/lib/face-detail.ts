import type { FaceDetail } from '@aws-sdk/client-rekognition';

const LANDMARKS = [
  'eyeLeft',
  'eyeRight',
  'mouthLeft',
  'mouthRight',
  'nose',
  'leftEyeBrowLeft',
  'leftEyeBrowRight',
  'leftEyeBrowUp',
  'rightEyeBrowLeft',
  'rightEyeBrowRight',
  'rightEyeBrowUp',
  'leftEyeLeft',
  'leftEyeRight',
  'leftEyeUp',
  'leftEyeDown',
  'rightEyeLeft',
  'rightEyeRight',
  'rightEyeUp',
  'rightEyeDown',
  'noseLeft',
  'noseRight',
  'mouthUp',
  'mouthDown',
  'leftPupil',
  'rightPupil',
  'upperJawlineLeft',
  'midJawlineLeft',
  'chinBottom',
  'midJawlineRight',
  'upperJawlineRight',
] as const;

const EMOTIONS = ['HAPPY', 'CALM', 'SURPRISED', 'CONFUSED', 'SAD', 'ANGRY', 'DISGUSTED', 'FEAR'] as const;

/**
 * One face as DetectFaces answers with Attributes ALL (every attribute, 8 emotions, 30
 * landmarks): about 3.5 KB of JSON, which the pipeline stores in coffees.face_details. With the
 * fake analyzer's default (no details) the rows would be a fraction of their real size.
 */
export function oneFaceDetail(): FaceDetail {
  const point = (i: number) => ({ X: 0.41 + (i % 7) * 0.013571, Y: 0.33 + (i % 5) * 0.021143 });
  return {
    BoundingBox: {
      Width: 0.2261904776096344,
      Height: 0.4017857015132904,
      Left: 0.3869047462940216,
      Top: 0.2,
    },
    AgeRange: { Low: 26, High: 34 },
    Smile: { Value: true, Confidence: 97.41239166259766 },
    Eyeglasses: { Value: false, Confidence: 99.0821304321289 },
    Sunglasses: { Value: false, Confidence: 99.91238403320312 },
    Gender: { Value: 'Female', Confidence: 99.5212173461914 },
    Beard: { Value: false, Confidence: 93.27671813964844 },
    Mustache: { Value: false, Confidence: 98.4021224975586 },
    EyesOpen: { Value: true, Confidence: 98.14138793945312 },
    MouthOpen: { Value: true, Confidence: 76.1029281616211 },
    Emotions: EMOTIONS.map((Type, i) => ({ Type, Confidence: i === 0 ? 96.81640625 : 3.1 / (i + 1) })),
    Landmarks: LANDMARKS.map((Type, i) => ({ Type, ...point(i) })),
    Pose: { Roll: -2.1289823055267334, Yaw: 4.919126033782959, Pitch: 7.038599014282227 },
    Quality: { Brightness: 71.30776977539062, Sharpness: 83.14741516113281 },
    Confidence: 99.99930572509766,
    FaceOccluded: { Value: false, Confidence: 99.8436279296875 },
    EyeDirection: { Yaw: -3.4017436504364014, Pitch: -9.28091812133789, Confidence: 99.9869155883789 },
  };
}
